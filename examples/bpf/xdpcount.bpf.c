/* xdpcount: counts the packets arriving on an interface by IP protocol (ICMP, TCP, UDP...)
 * in XDP, before the kernel allocates anything for them, and lets every packet pass.
 *
 * `SEC("xdp")` names no interface: give one.
 *   tsbpf run examples/bpf/xdpcount.bpfel.o --iface eth0
 * User-space version: examples/xdpcount.ts. */
#include "tsbpf.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>

/* Packets by IP protocol number (IPv4 protocol, IPv6 next header); 255 holds non-IP
 * packets (ARP...). One counter per CPU: no atomic operations on the packet path. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} packets SEC(".maps");

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 proto = 255;
	__u64 *count;

	/* Every read from the packet must be proven in bounds first. */
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == __builtin_bswap16(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return XDP_PASS;
		proto = ip->protocol;
	} else if (eth->h_proto == __builtin_bswap16(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return XDP_PASS;
		proto = ip6->nexthdr;
	}
	count = bpf_map_lookup_elem(&packets, &proto);
	if (count)
		*count += 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
