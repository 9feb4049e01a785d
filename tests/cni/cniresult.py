# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The CNI ADD result format of each spec version, checked strictly: problems()
lists every way a result differs from what SPEC.md of its version allows.

  0.3.0, 0.3.1, 0.4.0  ips[] carry "version" ("4" or "6", matching the address)
  1.0.0                no "version" in ips[] (it was removed)
  1.1.0                as 1.0.0, plus interfaces[].mtu/socketPath/pciID and
                       routes[].mtu/advmss/priority/table/scope

Keys a version does not define are problems too: libcni's Go types drop them
silently, so a plugin that sends them is answering in another version.
"""

import ipaddress
import re

V04 = ("0.3.0", "0.3.1", "0.4.0")
V1 = ("1.0.0", "1.1.0")
SUPPORTED = V04 + V1
_MAC_RE = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")


def _keys(version):
    iface = {"name", "mac", "sandbox"}
    ip = {"interface", "address", "gateway"}
    route = {"dst", "gw"}
    if version in V04:
        ip.add("version")
    if version == "1.1.0":
        iface |= {"mtu", "socketPath", "pciID"}
        route |= {"mtu", "advmss", "priority", "table", "scope"}
    return iface, ip, route


def _cidr(s):
    try:
        return ipaddress.ip_interface(s)
    except (ValueError, TypeError):
        return None


def _ip(s):
    try:
        return ipaddress.ip_address(s)
    except (ValueError, TypeError):
        return None


def problems(result, version, netns=None):
    """Every way `result` is not a valid ADD result of `version` (a list of strings;
    empty: valid). netns: the CNI_NETNS of the ADD, which container-side interfaces
    must name as their sandbox."""
    out = []
    if not isinstance(result, dict):
        return ["the result is not an object"]
    if version not in SUPPORTED:
        return ["no result format known for version %r" % version]
    iface_keys, ip_keys, route_keys = _keys(version)
    extra = set(result) - {"cniVersion", "interfaces", "ips", "routes", "dns"}
    if extra:
        out.append("keys not in a %s result: %s" % (version, sorted(extra)))
    if result.get("cniVersion") != version:
        out.append("cniVersion %r, want %r (the config's)" % (result.get("cniVersion"), version))
    ifaces = result.get("interfaces", [])
    out += _interfaces(ifaces, iface_keys, netns)
    out += _ips(result.get("ips", []), ip_keys, version, len(ifaces) if isinstance(ifaces, list) else 0)
    out += _routes(result.get("routes", []), route_keys)
    out += _dns(result.get("dns", {}))
    return out


def _interfaces(ifaces, allowed, netns):
    out = []
    if not isinstance(ifaces, list):
        return ["interfaces is not a list"]
    for i, itf in enumerate(ifaces):
        if not isinstance(itf, dict):
            out.append("interfaces[%d] is not an object" % i)
            continue
        extra = set(itf) - allowed
        if extra:
            out.append("interfaces[%d] has keys the version lacks: %s" % (i, sorted(extra)))
        if not isinstance(itf.get("name"), str) or not itf.get("name"):
            out.append("interfaces[%d] has no name" % i)
        if "mac" in itf and not (isinstance(itf["mac"], str) and _MAC_RE.match(itf["mac"])):
            out.append("interfaces[%d].mac %r is not a MAC address" % (i, itf["mac"]))
        if "mtu" in itf and not (isinstance(itf["mtu"], int) and itf["mtu"] > 0):
            out.append("interfaces[%d].mtu %r is not a positive integer" % (i, itf["mtu"]))
        if "sandbox" in itf and not isinstance(itf["sandbox"], str):
            out.append("interfaces[%d].sandbox is not a string" % i)
    if netns is not None and isinstance(ifaces, list):
        inside = [x for x in ifaces if isinstance(x, dict) and x.get("sandbox") == netns]
        if not inside:
            out.append("no interface has sandbox %r (the CNI_NETNS)" % netns)
        for x in inside:
            if "mac" not in x:
                out.append("container interface %r has no mac (podman: invalid MAC address)"
                           % x.get("name"))
    return out


def _ips(ips, allowed, version, n_ifaces):
    out = []
    if not isinstance(ips, list):
        return ["ips is not a list"]
    for i, ip in enumerate(ips):
        if not isinstance(ip, dict):
            out.append("ips[%d] is not an object" % i)
            continue
        extra = set(ip) - allowed
        if extra:
            out.append("ips[%d] has keys a %s result lacks: %s" % (i, version, sorted(extra)))
        addr = _cidr(ip.get("address"))
        if addr is None or "/" not in str(ip.get("address")):
            out.append("ips[%d].address %r is not in CIDR notation" % (i, ip.get("address")))
        if version in V04:
            want = str(addr.version) if addr else None
            if ip.get("version") not in ("4", "6"):
                out.append("ips[%d].version %r, want \"4\" or \"6\" (%s)" % (i, ip.get("version"), version))
            elif want and ip["version"] != want:
                out.append("ips[%d].version %r for an IPv%s address" % (i, ip["version"], want))
        if "gateway" in ip:
            gw = _ip(ip["gateway"])
            if gw is None:
                out.append("ips[%d].gateway %r is not an address" % (i, ip["gateway"]))
            elif addr and gw.version != addr.version:
                out.append("ips[%d].gateway %s is of another family than %s" % (i, gw, addr))
        if "interface" in ip:
            idx = ip["interface"]
            if not isinstance(idx, int) or isinstance(idx, bool) or not 0 <= idx < n_ifaces:
                out.append("ips[%d].interface %r is no index into interfaces (%d)" % (i, idx, n_ifaces))
    return out


def _routes(routes, allowed):
    out = []
    if not isinstance(routes, list):
        return ["routes is not a list"]
    for i, r in enumerate(routes):
        if not isinstance(r, dict):
            out.append("routes[%d] is not an object" % i)
            continue
        extra = set(r) - allowed
        if extra:
            out.append("routes[%d] has keys the version lacks: %s" % (i, sorted(extra)))
        try:
            ipaddress.ip_network(r.get("dst"), strict=False)
            if "/" not in str(r.get("dst")):
                raise ValueError
        except (ValueError, TypeError):
            out.append("routes[%d].dst %r is not a CIDR" % (i, r.get("dst")))
        if "gw" in r and _ip(r["gw"]) is None:
            out.append("routes[%d].gw %r is not an address" % (i, r["gw"]))
        for k in ("mtu", "advmss", "priority", "table", "scope"):
            if k in r and not (isinstance(r[k], int) and r[k] >= 0):
                out.append("routes[%d].%s %r is not an unsigned integer" % (i, k, r[k]))
    return out


def _dns(dns):
    if not isinstance(dns, dict):
        return ["dns is not an object"]
    out = []
    extra = set(dns) - {"nameservers", "domain", "search", "options"}
    if extra:
        out.append("dns has unknown keys %s" % sorted(extra))
    for k in ("nameservers", "search", "options"):
        if k in dns and not (isinstance(dns[k], list) and all(isinstance(x, str) for x in dns[k])):
            out.append("dns.%s is not a list of strings" % k)
    for n in dns.get("nameservers", []) if isinstance(dns.get("nameservers"), list) else []:
        if _ip(n) is None:
            out.append("dns nameserver %r is not an address" % n)
    if "domain" in dns and not isinstance(dns["domain"], str):
        out.append("dns.domain is not a string")
    return out


def error_problems(err, version=None):
    """An error object per SPEC section 5 "Error": code (an unsigned integer), msg."""
    out = []
    if not isinstance(err, dict):
        return ["the error is not an object"]
    code = err.get("code")
    if not isinstance(code, int) or isinstance(code, bool) or code < 0:
        out.append("code %r is not an unsigned integer" % (code,))
    if not isinstance(err.get("msg"), str) or not err.get("msg"):
        out.append("no msg")
    if "details" in err and not isinstance(err["details"], str):
        out.append("details is not a string")
    if version and "cniVersion" in err and err["cniVersion"] != version:
        out.append("cniVersion %r, want %r" % (err["cniVersion"], version))
    return out
