/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libbpfnet: the embedding API of the bpfnet container dataplane (API v2,
 * symbol versions LIBBPFNET_0.2, LIBBPFNET_0.3, LIBBPFNET_0.4 and LIBBPFNET_0.5).
 *
 * Conventions, as libbpf 1.0's:
 * - Functions return 0 or a negative errno. On error, bpfnet__errmsg(bn) says
 *   in words what was wrong and what is allowed; a function with no handle
 *   (bpfnet__open() and the parsers) leaves its words for bpfnet__errmsg(NULL),
 *   which is per thread.
 * - Options and single-struct results start with `size_t sz`: set it to
 *   sizeof(struct ...) of the header you build with. An older, smaller struct
 *   is accepted (its missing fields take their defaults, or are not written);
 *   a newer, larger one is accepted only if every byte past what this library
 *   knows is zero, else -EINVAL (a result struct larger than the library's
 *   gets zeros there). A sz smaller than sizeof(size_t) is -EINVAL.
 *   Zero every options struct before setting fields (`= { .sz = sizeof(o) }`):
 *   every field's zero is its documented default.
 * - Arrays the library allocates (every *__list(), bpfnet_node__check(),
 *   bpfnet_stats__get()) are malloc()ed and the caller free()s them (stats:
 *   bpfnet_stats__free()). Their element structs never grow within one
 *   symbol version: a larger element comes with a new version of the
 *   function, so a program always gets the layout of the header it was built
 *   with. Each element's sz, if it has one, is set by the library.
 * - Addresses are family-neutral (struct bpfnet_addr, struct bpfnet_prefix).
 *   The datapath is IPv4 only for now: any IPv6 value given is refused with
 *   -EAFNOSUPPORT ("IPv6 is not supported yet").
 *
 * Where calls act: every call acts on the network namespace the calling
 * thread is in (the "node"). Calls that configure containers
 * (bpfnet_endpoint__add(), bpfnet_endpoint__remove(), bpfnet_node__down(),
 * bpfnet_node__check() with repair) enter the container's netns with setns()
 * on the calling thread and come back to the thread's own netns before they
 * return; other threads are not moved. Should the way back fail (the kernel
 * refusing a netns the thread was just in), the library aborts the process
 * rather than carry on in the container's netns. Entering may fail with the
 * errno of setns() (-EPERM without CAP_SYS_ADMIN), and then nothing moved.
 *
 * Threads: a handle is used by one thread at a time; different handles may be
 * used at once by different threads and processes. Calls that change an
 * instance take an flock() on <run_dir>/<instance>/lock, so concurrent
 * processes serialize; a call interrupted part-way (killed) is finished or
 * undone by the next call that takes the lock. bpfnet_set_print() is
 * process-wide: call it before other threads use the library.
 *
 * Capabilities: reading calls (*__get, *__list, *__info, bpfnet_stats__get)
 * need read access to the instance's state and pinned maps (root, or
 * CAP_BPF plus file permissions); changing calls need CAP_NET_ADMIN and
 * CAP_BPF (CAP_SYS_ADMIN for bpffs mounting and cgroup hooks at init; setns()
 * into container namespaces also needs CAP_SYS_ADMIN). Without them, calls
 * return -EPERM or -EACCES.
 */
#ifndef BPFNET_BPFNET_H
#define BPFNET_BPFNET_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header; bpfnet_version() gives the library's. */
#define BPFNET_MAJOR_VERSION 0
#define BPFNET_MINOR_VERSION 6
#define BPFNET_PATCH_VERSION 0
#define BPFNET_VERSION_STR_(a, b, c) #a "." #b "." #c
#define BPFNET_VERSION_STR_X_(a, b, c) BPFNET_VERSION_STR_(a, b, c)
#define BPFNET_VERSION_STRING \
	BPFNET_VERSION_STR_X_(BPFNET_MAJOR_VERSION, BPFNET_MINOR_VERSION, BPFNET_PATCH_VERSION)
/* Compare versions: BPFNET_VERSION_CODE >= BPFNET_VERSION(0, 2, 0). */
#define BPFNET_VERSION(maj, min, patch) (((maj) << 16) | ((min) << 8) | (patch))
#define BPFNET_VERSION_CODE \
	BPFNET_VERSION(BPFNET_MAJOR_VERSION, BPFNET_MINOR_VERSION, BPFNET_PATCH_VERSION)

/* The running library's "MAJOR.MINOR.PATCH" (static storage). Never fails. */
const char *bpfnet_version(void);

#define BPFNET_NAME_MAX 64	/* network and endpoint names, with the NUL */
#define BPFNET_PATH_MAX 256	/* netns paths, with the NUL */
#define BPFNET_CONTAINER_ID_MAX 128	/* a runtime's container ID, with the NUL */
#define BPFNET_UPLINK_MAX 8	/* devices one instance attaches its uplink program to */
#define BPFNET_XDP_WHY_MAX 96	/* why native XDP was refused on an uplink, in words */

/* ---- logging ------------------------------------------------------------- */

enum bpfnet_log_level { BPFNET_WARN, BPFNET_INFO, BPFNET_DEBUG };
typedef int (*bpfnet_print_fn)(enum bpfnet_log_level level, const char *fmt, va_list ap);

/* bpfnet_set_print() flags: route libbpf's messages to @fn too (libbpf_set_print()) */
#define BPFNET_PRINT_LIBBPF (1U << 0)

/*
 * Where the library prints (warnings and debug; errors are returned, never
 * only printed). The default prints warnings and info to stderr; NULL
 * silences the library. Returns the previous function. The library leaves
 * libbpf's own print callback alone unless @flags has BPFNET_PRINT_LIBBPF:
 * then libbpf_set_print() is called so that libbpf's messages come to @fn
 * (as BPFNET_WARN or BPFNET_DEBUG); without the flag, a routing set earlier
 * by this function is taken back (libbpf's print is restored to what it was
 * before). Process-wide, not thread-safe: call it before other threads use
 * the library or libbpf. Unknown bits in @flags are ignored.
 */
bpfnet_print_fn bpfnet_set_print(bpfnet_print_fn fn, unsigned int flags);

/* ---- addresses ----------------------------------------------------------- */

/*
 * An IPv4 or IPv6 address. family AF_UNSPEC (0, a zeroed struct) means "none
 * given": where an address is optional it takes its default.
 */
struct bpfnet_addr {
	uint16_t family;	/* AF_UNSPEC, AF_INET or AF_INET6 */
	uint16_t __pad;
	union {
		struct in_addr v4;	/* network byte order */
		struct in6_addr v6;
	};
};

/* An address and a prefix length: a subnet (host bits zero) or an interface address. */
struct bpfnet_prefix {
	struct bpfnet_addr addr;
	uint8_t len;		/* 0..32 for IPv4, 0..128 for IPv6 */
	uint8_t __pad[3];
};

/* Longest text of an address ("ffff:...") and of a prefix ("addr/128"), with the NUL. */
#define BPFNET_ADDRSTRLEN 46
#define BPFNET_PREFIXSTRLEN (BPFNET_ADDRSTRLEN + 4)

static inline struct bpfnet_addr bpfnet_addr_ip4(struct in_addr a)
{
	struct bpfnet_addr r = { .family = AF_INET };

	r.v4 = a;
	return r;
}

/*
 * "10.1.0.5" or "fd00::5" into @out. -EINVAL (message for bpfnet__errmsg(NULL))
 * on anything else: no prefix, no surrounding spaces, no brackets.
 */
int bpfnet_addr_parse(const char *s, struct bpfnet_addr *out);
/* "10.1.0.0/24" or "fd00::/64"; -EINVAL without "/LEN" or with LEN out of range. */
int bpfnet_prefix_parse(const char *s, struct bpfnet_prefix *out);
/*
 * @a as text into @buf (BPFNET_ADDRSTRLEN is enough); "" for AF_UNSPEC and
 * "?" for an unknown family. Returns @buf.
 */
char *bpfnet_addr_str(const struct bpfnet_addr *a, char *buf, size_t len);
/* "10.1.0.0/24" into @buf (BPFNET_PREFIXSTRLEN is enough); returns @buf. */
char *bpfnet_prefix_str(const struct bpfnet_prefix *p, char *buf, size_t len);

/* ---- names of enumerations ----------------------------------------------- */

/*
 * Each enum below has a _str() function (a static string; "?" for a value
 * this library does not know) and, where users give its values, a _parse()
 * one: 0 and *out set, or -EINVAL with a message (listing the allowed names)
 * for bpfnet__errmsg(NULL). The names are stable: the CLI and its JSON use
 * them.
 */

/* How containers of one network reach each other. */
enum bpfnet_network_mode {
	BPFNET_NETWORK_L3 = 0,		/* "l3" (default): routed, no L2 between containers */
	BPFNET_NETWORK_BRIDGE = 1,	/* "bridge": one L2 segment switched by BPF */
	/*
	 * Since 0.4. "macvlan": the kernel's macvlan (bridge mode) on a parent
	 * device of the node, as Docker's macvlan driver: containers sit on the
	 * parent's L2 segment, no BPF in their path, no published ports and no
	 * masquerade. (The kernel's ipvlan is not offered: l3 is bpfnet's own
	 * ipvlan-like mode.)
	 */
	BPFNET_NETWORK_MACVLAN = 2,
};

/* What the outside reaches by routing to container addresses (Docker 28's gateway modes). */
enum bpfnet_gateway_mode {
	BPFNET_GATEWAY_NAT = 0,			/* "nat" (default): replies of own flows only */
	BPFNET_GATEWAY_ROUTED = 1,		/* "routed": also published container ports */
	BPFNET_GATEWAY_NAT_UNPROTECTED = 2,	/* "nat-unprotected": everything */
};

/* Transport protocols, by their IANA numbers (so IPPROTO_* compare equal). */
enum bpfnet_proto {
	BPFNET_PROTO_ICMP = 1,	/* "icmp" (conntrack only) */
	BPFNET_PROTO_TCP = 6,	/* "tcp" */
	BPFNET_PROTO_UDP = 17,	/* "udp" */
};

/* The state of a tracked flow. */
enum bpfnet_flow_state {
	BPFNET_FLOW_NONE = 0,		/* "none" */
	BPFNET_FLOW_SYN_SENT,		/* "syn_sent": TCP, SYN seen, no answer yet */
	BPFNET_FLOW_ESTABLISHED,	/* "established": TCP answered; UDP and ICMP: any */
	BPFNET_FLOW_FIN_WAIT,		/* "fin_wait": TCP, FIN seen one way */
	BPFNET_FLOW_TIME_WAIT,		/* "time_wait": TCP, FIN seen both ways */
	BPFNET_FLOW_CLOSE,		/* "close": TCP, RST seen */
};

/* Why a flow is tracked. */
enum bpfnet_flow_kind {
	BPFNET_FLOW_KIND_ROUTED = 0,	/* "routed": untranslated, tracked so replies get in */
	BPFNET_FLOW_KIND_PORTMAP,	/* "portmap": to a published port (DNAT) */
	BPFNET_FLOW_KIND_MASQUERADE,	/* "masquerade": leaving with the node's address */
	BPFNET_FLOW_KIND_HAIRPIN,	/* "hairpin": a container to a published port */
};

/* A yes/no option whose default depends on other options: zero is that default. */
enum bpfnet_tristate {
	BPFNET_DEFAULT = 0,
	BPFNET_YES = 1,
	BPFNET_NO = 2,
};

const char *bpfnet_network_mode_str(enum bpfnet_network_mode mode);
int bpfnet_network_mode_parse(const char *s, enum bpfnet_network_mode *out);
const char *bpfnet_gateway_mode_str(enum bpfnet_gateway_mode mode);
int bpfnet_gateway_mode_parse(const char *s, enum bpfnet_gateway_mode *out);
const char *bpfnet_proto_str(enum bpfnet_proto proto);
int bpfnet_proto_parse(const char *s, enum bpfnet_proto *out);	/* tcp, udp, icmp */
const char *bpfnet_flow_state_str(enum bpfnet_flow_state state);
int bpfnet_flow_state_parse(const char *s, enum bpfnet_flow_state *out);
const char *bpfnet_flow_kind_str(enum bpfnet_flow_kind kind);
int bpfnet_flow_kind_parse(const char *s, enum bpfnet_flow_kind *out);

/* ---- the handle ---------------------------------------------------------- */

struct bpfnet;

struct bpfnet_opts {
	size_t sz;
	const char *instance;	/* NULL: "default"; else [A-Za-z0-9][A-Za-z0-9_.-]*, 1..32 chars */
	const char *bpffs;	/* a bpffs mount; NULL: $BPFNET_BPFFS if set, else found */
	const char *run_dir;	/* state root; NULL: $BPFNET_RUN_DIR if set, else /run/bpfnet */
	size_t :0;
};

/*
 * A handle on instance opts->instance (@opts may be NULL: every default). It
 * touches nothing: the instance is read or created by the calls made with it.
 * On success *out is set; free it with bpfnet__close(). On failure *out is
 * untouched and bpfnet__errmsg(NULL) says why, in this thread:
 *   -EINVAL       @out NULL; opts->sz invalid (see the conventions above); an
 *                 invalid instance name ("" included)
 *   -ENAMETOOLONG a bpffs or run dir path too long
 *   -ENOENT, -ENOTDIR, -EMEDIUMTYPE, other errno of stat(2): the bpffs given
 *                 (option or $BPFNET_BPFFS, "" included) is missing, not a
 *                 directory, or no bpffs
 *   -ENOMEM
 * Thread-safe. No capability needed.
 */
int bpfnet__open(const struct bpfnet_opts *opts, struct bpfnet **out);
/* Free @bn (NULL is fine); releases the instance lock if held. */
void bpfnet__close(struct bpfnet *bn);
/*
 * The last error of @bn, in words ("" when none yet). @bn NULL: why the
 * calling thread's last handle-less call (bpfnet__open(), a _parse()
 * function) failed. Valid until the next call on @bn (on the thread).
 */
const char *bpfnet__errmsg(const struct bpfnet *bn);
/* The instance name of @bn; valid as long as @bn. */
const char *bpfnet__instance(const struct bpfnet *bn);

/* ---- node ---------------------------------------------------------------- */

struct bpfnet_node_info {
	size_t sz;		/* set by the caller */
	bool initialized;	/* the state says so, and the datapath is pinned */
	char uplink[IF_NAMESIZE];
	unsigned int uplink_ifindex;
	char pin_dir[BPFNET_PATH_MAX];
	bool pins_missing;	/* the state says initialized, but the datapath is not pinned */
	char missing_pin[BPFNET_NAME_MAX];	/* the first pin not found; "": no bpffs found */
	/* since 0.3: every uplink, in the order given (uplink above is the first) */
	unsigned int n_uplinks;
	char uplinks[BPFNET_UPLINK_MAX][IF_NAMESIZE];
	unsigned int uplink_ifindexes[BPFNET_UPLINK_MAX];
	/*
	 * Since 0.6: the uplink XDP program (init --xdp): off on the node, or per
	 * uplink attached natively now, else the kernel's refusal in words ("":
	 * none recorded, e.g. detached behind bpfnet's back).
	 */
	bool xdp_off;
	bool uplink_xdp[BPFNET_UPLINK_MAX];
	char uplink_xdp_refused[BPFNET_UPLINK_MAX][BPFNET_XDP_WHY_MAX];
};

struct bpfnet_init_opts {
	size_t sz;
	/*
	 * The devices traffic from outside arrives on (a second NIC, a VPN, ...):
	 * each gets the uplink program. NULL or n_uplinks 0: detected, the
	 * devices of the node's IPv4 default routes. At most BPFNET_UPLINK_MAX.
	 */
	const char *const *uplinks;
	size_t n_uplinks;
	/*
	 * Since 0.6: the sizes of the big tables, 0 for the running node's (a
	 * first init: the default). Another size on a running node migrates
	 * the maps into tables of the new size, flows and ports kept.
	 * ct_max: conntrack entries, two a flow (BPFNET_CT_MAX_MIN to
	 * BPFNET_CT_MAX_LIMIT, default BPFNET_CT_MAX; the socket table of local
	 * clients gets half); a full table evicts its least recently used flows.
	 * ports_max: published ports (BPFNET_PORTS_MAX_MIN to
	 * BPFNET_PORTS_MAX_LIMIT, default BPFNET_PORTMAP_MAX).
	 */
	unsigned int ct_max;
	unsigned int ports_max;
	/*
	 * Since 0.6: the uplink XDP program, natively beside tc's where the
	 * driver has it: BPFNET_DEFAULT or BPFNET_YES (auto), BPFNET_NO (tc alone).
	 */
	int xdp;
	size_t :0;
};

/*
 * Load and pin the datapath, attach it to @uplink (tc on the uplink, cgroup
 * socket hooks on the root cgroup). Safe to re-run (upgrades in place); on a
 * node initialized on other uplinks, @uplink becomes its only one (see
 * bpfnet_node__init_opts()). -ENODEV no such @uplink; -EINVAL @uplink NULL,
 * too long, loopback or an endpoint's veth; -EPERM without CAP_BPF,
 * CAP_NET_ADMIN and CAP_SYS_ADMIN; -ENOENT no bpffs can be found or mounted;
 * other errno of bpf(2), netlink or the state files.
 */
int bpfnet_node__init(struct bpfnet *bn, const char *uplink);
/*
 * Since 0.3: bpfnet_node__init() on every uplink of @opts (NULL: every
 * default). Re-run on an initialized node with another set of uplinks, the
 * set changes in place: the new ones are attached, the dropped ones
 * detached (their clsact qdisc removed if init made it), endpoints and
 * flows are not touched. Detected: the devices of the IPv4 default routes
 * of the main table (each nexthop of a multipath one), lowest metric first.
 * Every error comes before anything changes: -ENODEV a device missing or
 * none detected (no default route); -E2BIG more than BPFNET_UPLINK_MAX;
 * -EINVAL bad opts, a name twice, a bad name, a size out of range;
 * -ENOSPC a size smaller than the entries its tables hold; errno as
 * bpfnet_node__init().
 */
int bpfnet_node__init_opts(struct bpfnet *bn, const struct bpfnet_init_opts *opts);
/*
 * Detach and unpin everything of the instance, delete its veths, forget its
 * state. Fine on an instance never initialized. Errno of bpf(2), netlink or
 * the state files; setns() as explained above.
 */
int bpfnet_node__down(struct bpfnet *bn);
/*
 * The node's state into @out (out->sz set by the caller). -EINVAL bad sz;
 * errno of reading the state (-EUCLEAN a corrupt state file, with its words).
 */
int bpfnet_node__info(struct bpfnet *bn, struct bpfnet_node_info *out);

/* Since 0.5: maps bpfnet_node__layout() reports at most. */
#define BPFNET_LAYOUT_MAPS_MAX 64

/* One pinned map's layout version: the datapath's and this library's. */
struct bpfnet_map_layout {
	char name[BPFNET_NAME_MAX];
	unsigned int datapath;	/* of the map pinned under the name; 0: none pinned */
	unsigned int binary;	/* this library's */
	unsigned int migrating_to;	/* an init cut short was migrating it there; 0: none */
};

/* Since 0.5: the layouts of the datapath's maps (bpfnet_node__layout()). */
struct bpfnet_layout_info {
	size_t sz;		/* set by the caller */
	unsigned int abi_datapath;	/* the datapath's ABI version; 0: made before layouts were recorded */
	unsigned int abi_binary;	/* this library's */
	/* a pinned map is of another layout than this library's, or half-migrated: init migrates */
	bool differ;
	unsigned int n_maps;
	struct bpfnet_map_layout maps[BPFNET_LAYOUT_MAPS_MAX];
};

/*
 * Since 0.5: the layout version of every map of the datapath (pinned or
 * not) and this library's, from the layout record pinned with the maps (a
 * datapath without one is of layout 1 throughout). Another layout is
 * migrated by bpfnet_node__init(); the other calls refuse its maps
 * (-EPROTO). -EINVAL bad sz; errno of bpf(2).
 */
int bpfnet_node__layout(struct bpfnet *bn, struct bpfnet_layout_info *out);

/* Since 0.6: one pinned map of the datapath and the kernel memory it takes. */
struct bpfnet_map_mem {
	char name[BPFNET_NAME_MAX];
	unsigned int type;		/* enum bpf_map_type */
	unsigned int max_entries;
	unsigned int key_size, value_size;
	uint64_t memlock;		/* bytes, as the kernel accounts them (fdinfo memlock) */
};

/* Since 0.6: the datapath's maps (bpfnet_node__maps()). */
struct bpfnet_maps_info {
	size_t sz;		/* set by the caller */
	unsigned int ct_max;	/* the sizes init chose (bpfnet_init_opts) */
	unsigned int ports_max;
	uint64_t ct_memlock;	/* the maps each size makes (ct4 and sock_nat) */
	uint64_t ports_memlock;	/* (portmap4, backends4, ep_ports) */
	uint64_t memlock;	/* every pinned map of the datapath */
	unsigned int n_maps;
	struct bpfnet_map_mem maps[BPFNET_LAYOUT_MAPS_MAX];
};

/*
 * Since 0.6: every pinned map of the datapath, its size and memory. -EINVAL
 * bad sz; -ENOENT not initialized (no map pinned); errno of bpf(2).
 */
int bpfnet_node__maps(struct bpfnet *bn, struct bpfnet_maps_info *out);

/* One way the instance does not match its state; see bpfnet_node__check(). */
struct bpfnet_check_issue {
	char kind[32];		/* stable: "stray_veth", "map_entry_missing", ... (README) */
	char object[96];	/* what it is about: "endpoint c1", "ep_by_ip[10.1.0.5]", ... */
	char message[256];	/* in words */
	bool repaired;		/* repair fixed it: a second look found it gone */
};

struct bpfnet_check_opts {
	size_t sz;
	bool repair;		/* fix what can be fixed, then look again (default: only look) */
	size_t :0;
};

/*
 * Compare the state with everything it describes: the pending journal entry,
 * every pinned map, the veths, the tc filters and the socket hooks. *issues
 * (malloc()ed, free() it; never NULL on success) lists each inconsistency;
 * none means consistent. Returns 0 when the check could run, whatever it
 * found. -EINVAL bad opts or NULL @issues/@count; errno of reading the maps
 * or netlink.
 */
int bpfnet_node__check(struct bpfnet *bn, const struct bpfnet_check_opts *opts,
		       struct bpfnet_check_issue **issues, size_t *count);

/* ---- networks ------------------------------------------------------------ */

struct bpfnet_network_opts {
	size_t sz;
	const char *name;		/* required */
	enum bpfnet_network_mode mode;	/* default l3 */
	struct bpfnet_prefix subnet;	/* required: the network address and its length */
	struct bpfnet_addr gateway;	/* AF_UNSPEC: the first host address of the subnet */
	/*
	 * Containers leave the node with the node's address. Default: yes, but
	 * no for routed and internal networks (which refuse BPFNET_YES).
	 */
	enum bpfnet_tristate masquerade;
	bool internal;			/* bridge only: containers reach each other only */
	enum bpfnet_gateway_mode gateway_mode;	/* default nat */
	const char *parent;		/* since 0.4: macvlan's parent device (required there only) */
	size_t :0;
};

struct bpfnet_network_info {
	size_t sz;			/* set by the caller (list: by the library) */
	char name[BPFNET_NAME_MAX];
	unsigned int id;
	enum bpfnet_network_mode mode;
	struct bpfnet_prefix subnet;
	struct bpfnet_addr gateway;
	unsigned int endpoints;		/* attached now */
	bool masquerade;
	bool internal;
	uint8_t gateway_mac[6];	/* bridge: the gateway's MAC, the same for every container */
	enum bpfnet_gateway_mode gateway_mode;
	char parent[IF_NAMESIZE];	/* since 0.4: macvlan's parent device; "" for the others */
};

/*
 * Create network opts->name; *out (may be NULL; out->sz set) describes it.
 * Before bpfnet_node__init() only the state changes; after, the datapath and
 * the gateway address on the node too.
 *
 * A macvlan network (since 0.4) puts nothing on the node and nothing in the
 * datapath: its gateway is a router on the parent's segment (default: the
 * subnet's first host address; never an address of the node, which macvlan
 * endpoints cannot reach), its subnet may be the parent's own (routes and
 * addresses of the node on the parent do not conflict; those on other
 * devices do), masquerade is off. opts->parent is required there, and must
 * be a device of the node when it is initialized (-ENODEV; checked again at
 * every endpoint add); masquerade BPFNET_YES, a gateway mode but nat and
 * internal are refused (-EINVAL: no BPF program is in the path to do them),
 * and so is opts->parent for the other modes. Errors:
 *   -EINVAL       bad opts (sz, name, mode, subnet, gateway, an option that
 *                 does not go with another) or bad out->sz
 *   -ENODEV       macvlan: no device opts->parent on an initialized node
 *   -EAFNOSUPPORT an IPv6 subnet or gateway
 *   -EEXIST       the name exists, or the subnet overlaps another network, a
 *                 route or an address of the node
 *   -ENOSPC       no network id left
 *   errno of netlink, bpf(2) or the state files.
 */
int bpfnet_network__create(struct bpfnet *bn, const struct bpfnet_network_opts *opts,
			   struct bpfnet_network_info *out);
/* -ENOENT no such network; -EBUSY while endpoints are attached; errno as create. */
int bpfnet_network__remove(struct bpfnet *bn, const char *name);
/* Network @name into @out (out->sz set by the caller). -ENOENT; -EINVAL bad sz. */
int bpfnet_network__get(struct bpfnet *bn, const char *name, struct bpfnet_network_info *out);
/*
 * Every network, by name. *out is malloc()ed, free() it. The elements have
 * the layout of the header a program was built with: the one before 0.4 (no
 * parent) for a program built before 0.4 (it binds bpfnet_network__list at
 * LIBBPFNET_0.2).
 */
int bpfnet_network__list(struct bpfnet *bn, struct bpfnet_network_info **out, size_t *count);

/* ---- endpoints ----------------------------------------------------------- */

struct bpfnet_endpoint_opts {
	size_t sz;
	const char *network;	/* required */
	const char *netns;	/* required: a name under /var/run/netns, or a path */
	const char *name;	/* default: the netns name */
	struct bpfnet_addr ip;	/* AF_UNSPEC: the lowest free address */
	const char *ifname;	/* default "eth0" */
	unsigned int mtu;	/* 0: the uplink's */
	/*
	 * Since 0.3. The runtime's ID of the container (CNI_CONTAINERID: 64 hex
	 * characters from podman, containerd, CRI-O): with ifname, unique among
	 * endpoints (-EEXIST otherwise), found again by bpfnet_endpoint__find().
	 * NULL: none. [A-Za-z0-9][A-Za-z0-9_.-]*, below BPFNET_CONTAINER_ID_MAX.
	 */
	const char *container_id;
	uint8_t mac[6];		/* since 0.3: the container side's MAC; all zero: chosen */
	/*
	 * Since 0.4. BPFNET_DEFAULT, BPFNET_YES: a default route via the gateway;
	 * BPFNET_NO: only the subnet's route, for a further attachment of a
	 * container that has its default route elsewhere (docker network connect).
	 */
	enum bpfnet_tristate default_route;
	size_t :0;
};

struct bpfnet_endpoint_info {
	size_t sz;		/* set by the caller (list: by the library) */
	char name[BPFNET_NAME_MAX];
	char network[BPFNET_NAME_MAX];
	char netns[BPFNET_PATH_MAX];
	char ifname[IF_NAMESIZE];
	char host_ifname[IF_NAMESIZE];
	unsigned int id;
	unsigned int host_ifindex;
	struct bpfnet_prefix ip;	/* the container's address and its network's length */
	struct bpfnet_addr gateway;	/* AF_UNSPEC on an internal network */
	uint8_t mac[6];
	uint8_t host_mac[6];
	unsigned int mtu;
	/* new at every add, never reused: conntrack tells this endpoint's flows apart by it */
	unsigned int gen;
	char container_id[BPFNET_CONTAINER_ID_MAX];	/* since 0.3; "" if none */
};

/*
 * Attach netns opts->netns to network opts->network: a veth pair, the
 * container side moved into the netns (setns() on the calling thread, see
 * above) and configured, the datapath told. All or nothing.
 *
 * On a macvlan network (since 0.4): a macvlan device (bridge mode) on the
 * network's parent, made right into the netns as ifname; no host side
 * (info host_ifname "", host_ifindex 0, host_mac zero) and nothing in the
 * datapath. Its MTU defaults to the parent's (and may not exceed it); IPAM
 * skips the node's own addresses on the parent. Other hosts of the segment
 * are not known to bpfnet: give --ip where the segment has its own.
 * By the kernel's design it cannot reach the node through the parent, nor
 * the node it (nor containers of l3 and bridge networks). Errors:
 *   -EINVAL       bad opts (sz, names, address not in the subnet or taken by
 *                 the gateway, MTU, container_id, a multicast MAC) or bad out->sz
 *   -EAFNOSUPPORT an IPv6 address
 *   -ENOENT       no such network or netns; the node is not initialized
 *   -ENODEV       macvlan: the network's parent is not a device of the node
 *   -EEXIST       the name, the address or the ifname in the netns is taken;
 *                 (container_id, ifname) has an endpoint; the network has the MAC
 *   -ENOSPC       the subnet is full (or the endpoint table, or a bridge's flood list)
 *   errno of netlink, setns(), bpf(2) or the state files.
 */
int bpfnet_endpoint__add(struct bpfnet *bn, const struct bpfnet_endpoint_opts *opts,
			 struct bpfnet_endpoint_info *out);
/* Detach endpoint @name, its ports and flows with it. -ENOENT; errno as add. */
int bpfnet_endpoint__remove(struct bpfnet *bn, const char *name);
/* Endpoint @name into @out (out->sz set by the caller). -ENOENT; -EINVAL bad sz. */
int bpfnet_endpoint__get(struct bpfnet *bn, const char *name, struct bpfnet_endpoint_info *out);
/*
 * Every endpoint, by name. *out is malloc()ed, free() it. The elements have
 * the layout of the header a program was built with: LIBBPFNET_0.2's (no
 * container_id) for a program built before 0.3.
 */
int bpfnet_endpoint__list(struct bpfnet *bn, struct bpfnet_endpoint_info **out, size_t *count);
/*
 * Since 0.3: the endpoint of container @container_id at @ifname (NULL:
 * "eth0") into @out (out->sz set by the caller). -ENOENT none; -EINVAL bad
 * arguments or sz.
 */
int bpfnet_endpoint__find(struct bpfnet *bn, const char *container_id, const char *ifname,
			  struct bpfnet_endpoint_info *out);
/*
 * Since 0.3: is endpoint @name as it was made? Its veth pair (both ends, up,
 * the MACs and MTU), the container side's address and routes (entering its
 * netns as explained above), its entries in every map, its published ports.
 * *issues (malloc()ed, free() it; never NULL on success) says what differs,
 * in the kinds of bpfnet_node__check() and its own (README: "netns_missing",
 * "address_missing", "route_missing", "link_down", ...); none means as made.
 * A netns that is gone is one issue, not an error. Nothing is repaired.
 * Returns 0 when the check could run. -ENOENT no such endpoint or node not initialized;
 * -EINVAL bad arguments; errno of netlink, setns() or bpf(2).
 */
int bpfnet_endpoint__check(struct bpfnet *bn, const char *name, struct bpfnet_check_issue **issues,
			   size_t *count);

/* ---- bridge forwarding database ------------------------------------------ */

struct bpfnet_fdb_entry {
	char network[BPFNET_NAME_MAX];
	uint8_t mac[6];
	char endpoint[BPFNET_NAME_MAX];	/* whose port the MAC is behind; "" if none known */
	char port[IF_NAMESIZE];		/* that endpoint's host-side veth */
	unsigned int ifindex;
	bool is_static;			/* written by endpoint add; else learned from traffic */
	uint64_t age_ms;		/* since a frame from the MAC was last seen (or since add) */
};

/*
 * Where each MAC of bridge network @network (NULL: of every bridge network)
 * lives. Learned entries idle longer than the ageing time are left out.
 * *out is malloc()ed, free() it. -ENOENT no such network; -EINVAL not a
 * bridge network; errno of bpf(2).
 */
int bpfnet_fdb__list(struct bpfnet *bn, const char *network, struct bpfnet_fdb_entry **out,
		     size_t *count);

/* ---- published ports ----------------------------------------------------- */

/*
 * One published range: host_port..host_port_last of host_addr (AF_UNSPEC or
 * the any address 0.0.0.0: every node address) reach
 * container_port..container_port_last of the endpoint, one to one.
 */
struct bpfnet_port_mapping {
	char endpoint[BPFNET_NAME_MAX];	/* list: whose; add, remove: ignored */
	enum bpfnet_proto proto;	/* BPFNET_PROTO_TCP or BPFNET_PROTO_UDP */
	struct bpfnet_addr host_addr;
	uint16_t host_port;		/* host byte order, 1..65535 */
	uint16_t host_port_last;	/* >= host_port */
	uint16_t container_port;
	uint16_t container_port_last;	/* as many ports as the host range */
	struct bpfnet_addr container_addr;	/* list: the endpoint's; add, remove: ignored */
};

/*
 * Docker's -p syntax, [HOST_IP:]HOST_PORT[-END]:CONTAINER_PORT[-END][/tcp|/udp],
 * into @out (endpoint and container_addr zeroed; host_addr AF_UNSPEC when
 * none is given; proto tcp by default). An IPv6 HOST_IP ("[::1]:80:80") is
 * parsed; bpfnet_port__add() refuses it for now. Docker's forms that leave
 * the host port to the engine ("80", "127.0.0.1::80") are refused: bpfnet
 * picks no port. -EINVAL with the reason for bpfnet__errmsg(NULL).
 * Thread-safe.
 */
int bpfnet_port_spec_parse(const char *spec, struct bpfnet_port_mapping *out);
/*
 * @m in the -p syntax ("127.0.0.1:8080-8081:80-81/tcp"; no host address for
 * every node address) into @buf (64 bytes are enough); returns @buf.
 */
char *bpfnet_port_spec(const struct bpfnet_port_mapping *m, char *buf, size_t len);

/*
 * Publish @n mappings of endpoint @endpoint, all or nothing. A macvlan
 * endpoint publishes none: its traffic never passes a BPF program (-EPERM,
 * as for an internal network). Errors:
 *   -EINVAL       @n 0, a bad proto or port range, a host address the node
 *                 cannot be reached at (multicast, broadcast, not the node's)
 *   -EAFNOSUPPORT an IPv6 host address
 *   -ENOENT       no such endpoint; the node is not initialized
 *   -EPERM        the endpoint is on an internal or a macvlan network
 *   -EADDRINUSE   a port is published already (same proto, address and
 *                 port; 0.0.0.0 conflicts with every address), or twice in @maps
 *   -E2BIG/-ENOSPC the port table is full; errno of bpf(2) or netlink.
 */
int bpfnet_port__add(struct bpfnet *bn, const char *endpoint,
		     const struct bpfnet_port_mapping *maps, size_t n);
/*
 * Unpublish @n mappings: every port of each must be published by @endpoint
 * to the same container port (-ENOENT otherwise). Ends their flows. Errors
 * as bpfnet_port__add().
 */
int bpfnet_port__remove(struct bpfnet *bn, const char *endpoint,
			const struct bpfnet_port_mapping *maps, size_t n);
/*
 * The published ports of @endpoint (NULL: of every endpoint), ports that run
 * on folded into ranges. *out is malloc()ed, free() it. -ENOENT no such endpoint.
 */
int bpfnet_port__list(struct bpfnet *bn, const char *endpoint, struct bpfnet_port_mapping **out,
		      size_t *count);

/* ---- connection tracking ------------------------------------------------- */

struct bpfnet_ct_flow {
	enum bpfnet_proto proto;
	enum bpfnet_flow_state state;
	enum bpfnet_flow_kind kind;
	/* as the originator sent it, and the reply direction as it came back */
	struct bpfnet_addr orig_src, orig_dst, reply_src, reply_dst;
	uint16_t orig_sport, orig_dport, reply_sport, reply_dport;	/* host order */
	uint64_t age_ms, expires_in_ms;
	uint64_t packets, bytes, reply_packets, reply_bytes;
};

/*
 * Every call below reads the whole table and also removes, and counts, the
 * flows that are over (as bpfnet_ct__gc()): listing the table tidies it.
 * Errors: -ENOENT the node is not initialized; -EPROTO a table of another
 * layout is pinned; errno of bpf(2).
 */

/* The live flows: intact, unexpired, between endpoints that still exist. *out: free() it. */
int bpfnet_ct__list(struct bpfnet *bn, struct bpfnet_ct_flow **out, size_t *count);
/* Forget every tracked flow; *flushed (may be NULL) says how many were live. */
int bpfnet_ct__flush(struct bpfnet *bn, size_t *flushed);

/* What a walk of the table removed, by why the flows had ended. */
struct bpfnet_ct_gc {
	uint64_t expired;	/* their time had run out */
	uint64_t retired;	/* an endpoint of theirs was removed (or re-created) */
	uint64_t evicted;	/* broken: their other half was lost to LRU eviction */
};

/* Remove the flows that are over; *out (may be NULL) says how many of each. */
int bpfnet_ct__gc(struct bpfnet *bn, struct bpfnet_ct_gc *out);

/* Above this fill of the table, new flows evict idle live ones: a warning. */
#define BPFNET_CT_PRESSURE_PCT 90

struct bpfnet_ct_summary {
	size_t sz;		/* set by the caller (in struct bpfnet_stats: by the library) */
	uint64_t flows;		/* live flows, as bpfnet_ct__list() lists them */
	uint64_t entries;	/* in the table: two per flow, and what is not collected yet */
	uint64_t max;
	unsigned int fill_pct;	/* entries of max, rounded down */
	bool pressure;		/* entries above BPFNET_CT_PRESSURE_PCT % of max */
	/*
	 * Flows created, less those that ended (expired, retired, flushed),
	 * less the live ones: the flows lost to LRU eviction, found or not
	 * (the counter ct_evicted has only those found half). Exact on a quiet
	 * table; under traffic, off by the flows begun or ended during the walk.
	 */
	uint64_t lost;
	struct bpfnet_ct_gc gc;	/* what this walk removed */
};

/* The table's fill into @out (out->sz set by the caller); -EINVAL bad sz. */
int bpfnet_ct__summary(struct bpfnet *bn, struct bpfnet_ct_summary *out);

/* ---- counters ------------------------------------------------------------ */

struct bpfnet_endpoint_stats {
	char name[BPFNET_NAME_MAX];
	uint64_t tx_packets, tx_bytes;	/* sent by the container */
	uint64_t rx_packets, rx_bytes;	/* delivered to it by the datapath */
	uint64_t drops;
};

struct bpfnet_drop_stat {
	const char *reason;	/* static storage */
	uint64_t packets;
};

struct bpfnet_stats {
	size_t sz;				/* set by the caller */
	struct bpfnet_endpoint_stats *endpoints;
	size_t n_endpoints;
	struct bpfnet_drop_stat *drops;	/* every reason, zero counts included */
	size_t n_drops;
	struct bpfnet_drop_stat *events;	/* node-wide: ct_created, ct_evicted, snat, ... */
	size_t n_events;
	uint64_t ct_entries;			/* entries in the conntrack table now */
	uint64_t ct_max;
	struct bpfnet_ct_summary ct;		/* the table walked (and collected) */
};

/*
 * Every counter into @out (out->sz set by the caller); the arrays in it are
 * the library's: free them with bpfnet_stats__free(). -EINVAL bad sz;
 * -ENOENT not initialized; errno of bpf(2).
 */
int bpfnet_stats__get(struct bpfnet *bn, struct bpfnet_stats *out);
/* Free the arrays of @stats (not @stats itself); NULL is fine. */
void bpfnet_stats__free(struct bpfnet_stats *stats);


/* ---- the event monitor (since 0.5) --------------------------------------- */

/*
 * What a monitor asks for (bpfnet_monitor_opts.types), or'd together:
 * drops; new translated flows (portmap, masquerade, hairpin) with the tuple
 * before and after translation; every new flow and the flows a RST or the
 * last FIN ends (expiry, eviction and flushes happen outside the datapath
 * and are not shown); a trace point of every verdict, drops included.
 */
#define BPFNET_MONITOR_DROP (1U << 0)
#define BPFNET_MONITOR_NAT (1U << 1)
#define BPFNET_MONITOR_FLOW (1U << 2)
#define BPFNET_MONITOR_TRACE (1U << 3)
#define BPFNET_MONITOR_ALL 0xfU
/* Bytes of a packet an event carries at most, from its start (the Ethernet header). */
#define BPFNET_MONITOR_SNAP_LEN 128

/* "drop", "nat", "flow", "trace", "all", or several of them comma separated, into *out. */
int bpfnet_monitor_types_parse(const char *s, unsigned int *out);

enum bpfnet_monitor_event_kind {
	BPFNET_EVENT_DROP = 1,		/* "drop" */
	BPFNET_EVENT_FLOW_NEW = 2,	/* "flow_new": its first packet made it */
	BPFNET_EVENT_FLOW_END = 3,	/* "flow_end": a RST, or the second FIN */
	BPFNET_EVENT_TRACE = 4,		/* "trace": any other verdict */
};
const char *bpfnet_monitor_event_kind_str(enum bpfnet_monitor_event_kind kind);

/* A packet's or a flow's addresses and ports (host order; ICMP echo: the id in sport). */
struct bpfnet_tuple {
	enum bpfnet_proto proto;	/* 0: not IPv4, or its headers not all there */
	struct bpfnet_addr src, dst;
	uint16_t sport, dport;
};

struct bpfnet_monitor_event {
	size_t sz;			/* set by the library */
	enum bpfnet_monitor_event_kind kind;
	uint64_t ts_ns;			/* CLOCK_MONOTONIC */
	char endpoint[BPFNET_NAME_MAX];	/* the endpoint the packet concerns; "" none known */
	char ifname[IF_NAMESIZE];	/* the device it came in on ("" if gone) */
	unsigned int ifindex;
	bool to_endpoint;		/* from the uplink towards the endpoint; else sent by it */
	bool xdp;			/* seen by the XDP program (else tc) */
	const char *reason;		/* a drop's reason (static); NULL otherwise */
	const char *verdict;		/* "drop", "pass", "ok", "redirect", "stolen", "tx" */
	struct bpfnet_tuple tuple;	/* the packet's own, read from its first bytes */
	/* flow events: the flow's kind, state, and its tuple before and after translation */
	enum bpfnet_flow_kind flow_kind;
	enum bpfnet_flow_state flow_state;
	struct bpfnet_tuple before, after;
	uint32_t len;			/* the packet's length */
	uint32_t cap_len;		/* bytes of it in data: BPFNET_MONITOR_SNAP_LEN at most */
	const uint8_t *data;		/* valid during the callback only */
};

/* Called for each event; a non-zero return stops bpfnet_monitor__poll(), which returns it. */
typedef int (*bpfnet_monitor_fn)(const struct bpfnet_monitor_event *ev, void *ctx);

struct bpfnet_monitor_opts {
	size_t sz;
	unsigned int types;	/* BPFNET_MONITOR_*; 0: BPFNET_MONITOR_DROP */
};

struct bpfnet_monitor;

/*
 * Start listening: the datapath writes the events of @opts->types into a
 * ring of this monitor's own, until bpfnet_monitor__close() or until the
 * process dies (its lease, renewed by __poll(), runs out within 3 s, and
 * the datapath stops paying for it). Up to 4 monitors at once; each sees
 * every event (the datapath's rate limit, per CPU, is shared). -EBUSY when
 * 4 listen already; -ENOENT not initialized; -EPERM without CAP_BPF.
 */
int bpfnet_monitor__open(struct bpfnet *bn, const struct bpfnet_monitor_opts *opts,
			 struct bpfnet_monitor **out);
/*
 * Wait up to @timeout_ms (-1: for ever) for events and call @fn for each;
 * renews the lease. Returns the number of events, or @fn's non-zero
 * return, or -errno (-EINTR on a signal).
 */
int bpfnet_monitor__poll(struct bpfnet_monitor *m, int timeout_ms, bpfnet_monitor_fn fn,
			 void *ctx);

/* The datapath's monitor counters, node-wide and summed over CPUs, since its maps were made. */
struct bpfnet_monitor_counters {
	size_t sz;			/* set by the caller */
	uint64_t produced;		/* events written (to every listening monitor's ring) */
	uint64_t suppressed;		/* held back by the rate limit */
	uint64_t lost;			/* ring writes refused: a monitor's ring was full */
};
int bpfnet_monitor__counters(struct bpfnet_monitor *m, struct bpfnet_monitor_counters *out);
/* Stop listening and free @m; NULL is fine. */
void bpfnet_monitor__close(struct bpfnet_monitor *m);

#ifdef __cplusplus
}
#endif
#endif /* BPFNET_BPFNET_H */
