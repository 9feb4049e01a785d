#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Published-port lists and the rule text each dataplane installs them with.

  rules.py ports N H:C...           N extra mappings (host port p -> container port p,
                                    from 1024 up, skipping the given host ports), then
                                    the given measured ones: one "H:C" a line
  rules.py iptables FILE BRIDGE CIP the per-port rules Docker adds, as iptables-restore
                                    --noflush input: nat DOCKER DNAT, nat POSTROUTING
                                    hairpin MASQUERADE, filter DOCKER ACCEPT
  rules.py nft FILE CIP             "add element" commands for the nftables port map

FILE is a list made by "ports". The extras come first, so in a rule chain the
measured mappings are the last ones a packet is matched against.
"""
import sys

PORT_MIN, PORT_MAX = 1024, 65535
NFT_CHUNK = 1000  # elements per "add element" line


def read_ports(path):
    with open(path) as f:
        return [tuple(int(x) for x in line.split(":")) for line in f if line.strip()]


def ports(n, measured):
    taken = {int(m.split(":")[0]) for m in measured}
    out, p = [], PORT_MIN
    while len(out) < n:
        if p > PORT_MAX:
            sys.exit(f"rules.py: no room for {n} extra host ports in {PORT_MIN}-{PORT_MAX}")
        if p not in taken:
            out.append(f"{p}:{p}")
        p += 1
    return out + list(measured)


def iptables(path, bridge, cip):
    maps = read_ports(path)
    nat = [f"-A DOCKER ! -i {bridge} -p tcp -m tcp --dport {h} -j DNAT --to-destination {cip}:{c}"
           for h, c in maps]
    nat += [f"-A POSTROUTING -s {cip}/32 -d {cip}/32 -p tcp -m tcp --dport {c} -j MASQUERADE"
            for _, c in maps]
    flt = [f"-A DOCKER -d {cip}/32 ! -i {bridge} -o {bridge} -p tcp -m tcp --dport {c} -j ACCEPT"
           for _, c in maps]
    return "\n".join(["*nat"] + nat + ["COMMIT", "*filter"] + flt + ["COMMIT", ""])


def nft(path, cip):
    maps = read_ports(path)
    lines = []
    for i in range(0, len(maps), NFT_CHUNK):
        elems = ", ".join(f"{h} : {cip} . {c}" for h, c in maps[i:i + NFT_CHUNK])
        lines.append(f"add element ip bench portmap {{ {elems} }}")
    return "\n".join(lines + [""])


def main(argv):
    if len(argv) >= 2 and argv[0] == "ports":
        print("\n".join(ports(int(argv[1]), argv[2:])))
    elif len(argv) == 4 and argv[0] == "iptables":
        sys.stdout.write(iptables(argv[1], argv[2], argv[3]))
    elif len(argv) == 3 and argv[0] == "nft":
        sys.stdout.write(nft(argv[1], argv[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
