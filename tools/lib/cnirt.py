# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""A CNI runtime for tests: execs plugins the way libcni (containerd, CRI-O,
podman's CNI backend) does, with nothing but the Python 3 standard library.

What it reproduces of libcni (containernetworking/cni libcni/api.go), because
a plugin that works with this harness should work with them:

- the environment: the caller's own, plus CNI_COMMAND, CNI_CONTAINERID,
  CNI_NETNS, CNI_ARGS ("K=V;K=V"), CNI_IFNAME, CNI_PATH, every one always set
  (empty where the command has none: GC and STATUS run with empty attachment
  variables; VERSION as podman sends it: CNI_NETNS=dummy, CNI_IFNAME=dummy,
  CNI_PATH=dummy, CNI_CONTAINERID="");
- the request configuration: each plugin of the list with the list's "name" and
  "cniVersion" injected, "runtimeConfig" holding only the capability arguments
  the plugin declares in "capabilities" (left out when that is empty),
  "prevResult" chained from plugin to plugin on ADD, and the cached ADD result
  for every plugin on DEL (>= 0.4.0) and CHECK; re-marshalled as Go does it
  (compact, keys sorted, <>& escaped);
- ADD in list order, DEL in reverse, CHECK in order, stopping at the first
  error; GC: a DEL of every cached attachment of the network not in the valid
  list, then (>= 1.1.0) GC to every plugin with "cni.dev/valid-attachments",
  going on past errors; STATUS (>= 1.1.0) to each plugin in turn;
- the result cache, <cache_dir>/results/<network>-<containerid>-<ifname>, in
  libcni's "cniCacheV1" format, written after a successful ADD, removed after a
  successful DEL;
- the checks libcni makes before it runs anything (container ID, network and
  interface names; CHECK needs >= 0.4.0); force=True skips them so that a test
  can hand a plugin what libcni would have refused;
- a failing plugin: its exit status and the error object it printed on stdout
  come back to the caller (PluginError); its stderr is passed through.

The CLI front end is tests/cni/cni-run, the tests tests/e2e/79-cni-harness.sh
(this harness against the reference plugins) and 80-cni.sh (bpfnet-cni); result
formats per version are checked by tests/cni/cniresult.py. It lives under tools/
because tools/cni-bench times plugins through it too, and tools never depend on
tests/.
"""

import base64
import json
import os
import re
import signal
import subprocess
import time

COMMANDS = ("ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION")
# what libcni's version.Current() says in the VERSION request it sends
VERSION_PROBE = "1.1.0"
CACHE_KIND = "cniCacheV1"
_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$")


class HarnessError(Exception):
    """What the runtime refuses or fails at itself, before or around a plugin."""


class PluginError(Exception):
    """A plugin exited non-zero (or was killed): its status and error object."""

    def __init__(self, inv):
        self.inv = inv
        self.exit_status = inv.exit_status
        self.killed = inv.killed
        err = {}
        if inv.stdout.strip():
            try:
                err = json.loads(inv.stdout)
            except ValueError:
                err = {"msg": "netplugin failed but error parsing its diagnostic message %r"
                       % inv.stdout.decode(errors="replace")}
        if not isinstance(err, dict):
            err = {"msg": "netplugin printed a non-object error: %r" % (err,)}
        if not err.get("msg") and not inv.stdout.strip():
            err["msg"] = ("netplugin failed: %r" % inv.stderr.decode(errors="replace")
                          if inv.stderr else "netplugin failed with no error message")
        self.error = err
        self.code = err.get("code")
        self.msg = err.get("msg", "")
        self.details = err.get("details", "")
        what = "killed by SIGKILL" if inv.killed else "exit status %s" % inv.exit_status
        super().__init__("plugin %s %s failed (%s): code %s: %s%s" % (
            os.path.basename(inv.plugin), inv.command, what, self.code, self.msg,
            (": " + self.details) if self.details else ""))


class Invocation:
    """One exec of a plugin: what it was given and what it answered."""

    def __init__(self, plugin, command, env, stdin):
        self.plugin = plugin
        self.command = command
        self.env = env                # the CNI_* variables only
        self.stdin = stdin            # bytes
        self.stdout = b""
        self.stderr = b""
        self.exit_status = None
        self.killed = False
        self.seconds = 0.0

    def request(self):
        return json.loads(self.stdin) if self.stdin.strip() else None

    def as_dict(self):
        return {"plugin": self.plugin, "command": self.command, "env": self.env,
                "stdin": self.stdin.decode(errors="replace"),
                "stdout": self.stdout.decode(errors="replace"),
                "stderr": self.stderr.decode(errors="replace"),
                "exit_status": self.exit_status, "killed": self.killed,
                "seconds": round(self.seconds, 6)}


class Attachment:
    """The per-attachment parameters of SPEC section 3: (container ID, ifname) is the identity."""

    def __init__(self, container_id, netns="", ifname="eth0", args=None, capability_args=None):
        self.container_id = container_id
        self.netns = netns
        self.ifname = ifname
        self.args = parse_cni_args(args) if isinstance(args, str) else list(args or [])
        self.capability_args = dict(capability_args or {})

    def cni_args(self):
        return ";".join("%s=%s" % (k, v) for k, v in self.args)


def parse_cni_args(text):
    """"K=V;K=V" as libcni's [][2]string (a pair without "=" keeps an empty value)."""
    pairs = []
    for item in (text or "").split(";"):
        if item:
            k, _, v = item.partition("=")
            pairs.append([k, v])
    return pairs


def go_json(obj):
    """JSON as Go's encoding/json writes a map: compact, sorted keys, <>& and U+2028/9 escaped."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text.encode()


def version_tuple(v):
    parts = str(v or "0.1.0").split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise HarnessError("invalid version %r" % (v,))
    return tuple(int(p) for p in parts)


def version_at_least(v, ref):
    return version_tuple(v) >= version_tuple(ref)


class NetConfList:
    """A network configuration: a .conflist, or a .conf taken as a list of one plugin."""

    def __init__(self, raw):
        if isinstance(raw, (bytes, str)):
            self.bytes = raw.encode() if isinstance(raw, str) else raw
            try:
                raw = json.loads(self.bytes)
            except ValueError as e:
                raise HarnessError("error parsing configuration: %s" % e)
        else:
            self.bytes = go_json(raw)
        if not isinstance(raw, dict):
            raise HarnessError("error parsing configuration: not an object")
        self.raw = raw
        if "plugins" in raw:
            plugins = raw["plugins"]
            if not isinstance(plugins, list) or not plugins:
                raise HarnessError("error parsing configuration list: no plugins in list")
        else:
            plugins = [raw]                     # libcni's ConfListFromConf
        self.plugins = []
        for p in plugins:
            if not isinstance(p, dict) or not p.get("type"):
                raise HarnessError("error parsing configuration: missing 'type'")
            self.plugins.append(p)
        self.name = raw.get("name")
        if not isinstance(self.name, str) or not self.name:
            raise HarnessError("error parsing configuration list: no name")
        self.cni_version = raw.get("cniVersion", "")
        if not isinstance(self.cni_version, str):
            raise HarnessError("error parsing configuration list: invalid cniVersion type")
        self.disable_check = bool(raw.get("disableCheck", False))
        self.disable_gc = bool(raw.get("disableGC", False))


def load_config(source):
    """A NetConfList from a path, JSON text/bytes or a dict."""
    if isinstance(source, NetConfList):
        return source
    if isinstance(source, dict):
        return NetConfList(source)
    if isinstance(source, bytes) or (isinstance(source, str) and source.lstrip().startswith("{")):
        return NetConfList(source)
    with open(source, "rb") as f:
        return NetConfList(f.read())


class Runtime:
    """libcni's CNIConfig: plugin path, cache dir, and the operations on a network list."""

    def __init__(self, path=None, cache_dir=None, timeout=None, strict_spec=False, trace=None):
        if path is None:
            path = os.environ.get("CNI_PATH", "/usr/lib/cni")
        self.path = path.split(":") if isinstance(path, str) else list(path)
        if not cache_dir:
            raise HarnessError("a cache directory is needed (libcni's is /var/lib/cni: "
                               "tests give their own)")
        self.cache_dir = cache_dir
        self.timeout = timeout
        # SPEC 1.1.0 "capabilities: must not be set" in the request; libcni leaves it in
        self.strict_spec = strict_spec
        self.trace = trace                  # a file object: one JSON line per invocation
        self.log = []                       # every Invocation of this runtime

    # ---- exec ----------------------------------------------------------------------

    def find(self, plugin_type):
        for d in self.path:
            p = os.path.join(d, plugin_type)
            if os.path.isfile(p) and os.access(p, os.X_OK):
                return p
        raise HarnessError("failed to find plugin %r in path %s" % (plugin_type, self.path))

    def exec_plugin(self, plugin, command, stdin, container_id="", netns="", ifname="",
                    cni_args="", cni_path=None, kill_after=None, env_extra=None):
        """Run one plugin binary. Returns the Invocation (exit status and output in
        it); raises nothing for a plugin failure. kill_after: SIGKILL it that many
        seconds after its start if it still runs (inv.killed says it came in time)."""
        cni = {"CNI_COMMAND": command, "CNI_CONTAINERID": container_id, "CNI_NETNS": netns,
               "CNI_ARGS": cni_args, "CNI_IFNAME": ifname,
               "CNI_PATH": ":".join(self.path) if cni_path is None else cni_path}
        env = dict(os.environ)
        env.update(env_extra or {})
        env.update(cni)
        inv = Invocation(plugin, command, cni, stdin if isinstance(stdin, bytes) else stdin.encode())
        limit = kill_after if kill_after is not None else self.timeout
        t0 = time.monotonic()
        for attempt in range(6):           # libcni retries "text file busy" for a second each
            try:
                proc = subprocess.Popen([plugin], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, env=env, close_fds=True)
                break
            except OSError as e:
                if e.errno == 26 and attempt < 5:   # ETXTBSY
                    time.sleep(1)
                    continue
                raise HarnessError("cannot exec %s: %s" % (plugin, e))
        try:
            out, err = proc.communicate(inv.stdin, timeout=limit)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            out, err = proc.communicate()
            inv.killed = proc.returncode == -signal.SIGKILL
            if kill_after is None:
                inv.seconds = time.monotonic() - t0
                self._record(inv, out, err, proc.returncode)
                raise HarnessError("plugin %s %s timed out after %s s" % (plugin, command, limit))
        inv.seconds = time.monotonic() - t0
        self._record(inv, out, err, proc.returncode)
        return inv

    def _record(self, inv, out, err, rc):
        inv.stdout, inv.stderr = out, err
        inv.exit_status = 128 + -rc if rc < 0 else rc
        self.log.append(inv)
        if self.trace:
            self.trace.write(json.dumps(inv.as_dict()) + "\n")
            self.trace.flush()

    def _run(self, plugin_conf, command, stdin, att=None, kill_after=None, **kw):
        plugin = self.find(plugin_conf["type"])
        if att is not None:
            kw.update(container_id=att.container_id, netns=att.netns, ifname=att.ifname,
                      cni_args=att.cni_args())
        inv = self.exec_plugin(plugin, command, stdin, kill_after=kill_after, **kw)
        if inv.exit_status != 0 or inv.killed:
            if inv.stderr:
                os.write(2, inv.stderr)
            raise PluginError(inv)
        if inv.stderr:
            os.write(2, inv.stderr)
        return inv

    # ---- request configuration ---------------------------------------------------------

    def request(self, net, plugin_conf, prev_result=None, att=None, extra=None):
        """libcni's buildOneConfig: name, cniVersion, prevResult and runtimeConfig injected."""
        conf = json.loads(go_json(plugin_conf))
        conf["name"] = net.name
        conf["cniVersion"] = net.cni_version
        if prev_result is not None:
            conf["prevResult"] = prev_result
        if att is not None:
            rc = {}
            for cap, on in (plugin_conf.get("capabilities") or {}).items():
                if on is True and cap in att.capability_args:
                    rc[cap] = att.capability_args[cap]
            if rc:
                conf["runtimeConfig"] = rc
        conf.update(extra or {})
        if self.strict_spec:
            conf.pop("capabilities", None)
        return go_json(conf)

    # ---- the operations (SPEC section 3) -------------------------------------------------

    def _validate_attachment(self, net, att):
        if not att.container_id:
            raise HarnessError("missing containerID")
        if not _NAME_RE.match(att.container_id):
            raise HarnessError("invalid characters in containerID %r" % att.container_id)
        if not _NAME_RE.match(net.name):
            raise HarnessError("invalid characters found in network name %r" % net.name)
        n = att.ifname
        if not n or len(n) > 15 or n in (".", "..") or re.search(r"[/:\s]", n):
            raise HarnessError("invalid interface name %r" % n)

    def add(self, net, att, force=False, kill_after=None):
        """ADD through the list; the final result is cached and returned."""
        net = load_config(net)
        if not force:
            self._validate_attachment(net, att)
        result = None
        for p in net.plugins:
            inv = self._run(p, "ADD", self.request(net, p, result, att), att, kill_after)
            result = self._decode_result(inv, net)
        self.cache_add(net, att, result)
        return result

    def _decode_result(self, inv, net):
        try:
            result = json.loads(inv.stdout)
        except ValueError as e:
            raise HarnessError("plugin %s ADD printed no JSON result (%s): %r"
                               % (inv.plugin, e, inv.stdout[:200]))
        if not isinstance(result, dict):
            raise HarnessError("plugin %s ADD printed %r, not a result object" % (inv.plugin, result))
        if not result.get("cniVersion"):       # libcni's fixupResultVersion
            result["cniVersion"] = net.cni_version
        return result

    def delete(self, net, att, kill_after=None):
        """DEL in reverse order, each plugin given the cached ADD result (>= 0.4.0)."""
        net = load_config(net)
        cached = None
        if version_at_least(net.cni_version, "0.4.0"):
            cached = self.cached_result(net.name, att)
        for p in reversed(net.plugins):
            self._run(p, "DEL", self.request(net, p, cached, att), att, kill_after)
        self.cache_del(net.name, att)

    def check(self, net, att, force=False):
        """CHECK in order with the cached ADD result; libcni refuses it below 0.4.0."""
        net = load_config(net)
        if not force:
            if not version_at_least(net.cni_version, "0.4.0"):
                raise HarnessError('configuration version "%s" does not support the CHECK command'
                                   % net.cni_version)
            if net.disable_check:
                return
        cached = self.cached_result(net.name, att)
        for p in net.plugins:
            self._run(p, "CHECK", self.request(net, p, cached, att), att)

    def gc(self, net, valid, delete_cached=True, force=False):
        """libcni's GCNetworkList: DEL of each cached attachment of the network not in
        valid ([(containerID, ifname)]), then GC to every plugin (>= 1.1.0). Errors are
        collected, not stopping it; the list of them is returned (PluginError or
        HarnessError objects)."""
        net = load_config(net)
        if net.disable_gc and not force:
            return []
        valid_set = {(c, i) for c, i in valid}
        errors = []
        if delete_cached:
            for info in self.cached_attachments():
                if info.get("networkName") != net.name:
                    continue
                key = (info.get("containerId"), info.get("ifName"))
                if key in valid_set:
                    continue
                att = Attachment(key[0], info.get("netns", ""), key[1], info.get("cniArgs"),
                                 info.get("capabilityArgs"))
                try:
                    self.delete(net, att)
                except (PluginError, HarnessError) as e:
                    errors.append(e)
        if force or version_at_least(net.cni_version, "1.1.0"):
            listed = [{"containerID": c, "ifname": i} for c, i in valid]
            extra = {"cni.dev/valid-attachments": listed,
                     "cni.dev/attachments": listed}     # cni#1101: the spec's old key too
            for p in net.plugins:
                try:
                    self._run(p, "GC", self.request(net, p, extra=extra))
                except (PluginError, HarnessError) as e:
                    errors.append(e)
        return errors

    def status(self, net, force=False):
        """STATUS to each plugin (>= 1.1.0; libcni does nothing below), first error raised."""
        net = load_config(net)
        if not force and not version_at_least(net.cni_version, "1.1.0"):
            return
        for p in net.plugins:
            self._run(p, "STATUS", self.request(net, p))

    def version(self, plugin_type, cni_version=VERSION_PROBE):
        """VERSION as libcni's GetVersionInfo (and podman on every command) sends it."""
        plugin = self.find(plugin_type)
        inv = self.exec_plugin(plugin, "VERSION", go_json({"cniVersion": cni_version}),
                               container_id="", netns="dummy", ifname="dummy", cni_path="dummy")
        if inv.exit_status != 0:
            raise PluginError(inv)
        try:
            return json.loads(inv.stdout)
        except ValueError as e:
            raise HarnessError("VERSION printed no JSON (%s): %r" % (e, inv.stdout[:200]))

    # ---- the result cache (libcni's cachedInfo) ------------------------------------------

    def cache_path(self, net_name, att):
        return os.path.join(self.cache_dir, "results",
                            "%s-%s-%s" % (net_name, att.container_id, att.ifname))

    def cache_add(self, net, att, result):
        info = {"kind": CACHE_KIND, "containerId": att.container_id,
                "config": base64.b64encode(net.bytes).decode(),   # Go marshals []byte as base64
                "ifName": att.ifname, "networkName": net.name, "result": result}
        if att.netns:
            info["netns"] = att.netns
        if att.args:
            info["cniArgs"] = att.args
        if att.capability_args:
            info["capabilityArgs"] = att.capability_args
        path = self.cache_path(net.name, att)
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        tmp = path + ".tmp"
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
            f.write(go_json(info))
        os.rename(tmp, path)

    def cache_del(self, net_name, att):
        try:
            os.unlink(self.cache_path(net_name, att))
        except FileNotFoundError:
            pass

    def cached_result(self, net_name, att):
        try:
            with open(self.cache_path(net_name, att), "rb") as f:
                info = json.load(f)
        except (OSError, ValueError):
            return None                # libcni: a missing or unreadable cache is no result
        if info.get("kind") != CACHE_KIND:
            return None
        return info.get("result")

    def cached_attachments(self):
        d = os.path.join(self.cache_dir, "results")
        out = []
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            try:
                with open(os.path.join(d, name), "rb") as f:
                    info = json.load(f)
            except (OSError, ValueError):
                continue
            if info.get("kind") == CACHE_KIND and info.get("ifName") and info.get("networkName"):
                out.append(info)
        return out
