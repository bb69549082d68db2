package importer

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"syscall"

	"github.com/segmentbot/segmentbot"
)

// blocked is every address range a download may not reach unless its host
// is allow-listed by exact name: one row per range, each with the reason.
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are unmapped before the
// check, so the IPv4 rows cover them.
var blocked = []struct {
	prefix netip.Prefix
	why    string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "\"this network\" (0.0.0.0 reaches localhost)"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (carrier-grade NAT)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (cloud metadata at 169.254.169.254)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved, and 255.255.255.255 broadcast"},
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible (::a.b.c.d, deprecated)"},
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64 (reaches any IPv4 address through the gateway)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64"},
	{netip.MustParsePrefix("2002::/16"), "6to4 (embeds any IPv4 address)"},
	{netip.MustParsePrefix("fc00::/7"), "unique local"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local (deprecated)"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// blockedWhy is the reason ip may not be reached, or "".
func blockedWhy(ip netip.Addr) string {
	ip = ip.Unmap()
	for _, b := range blocked {
		if b.prefix.Contains(ip) {
			return b.why
		}
	}
	return ""
}

// dial connects like net.Dialer but refuses internal addresses after DNS,
// at connect time, unless the host was allow-listed by its exact name.
func (f *Fetcher) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	trusted := slices.ContainsFunc(f.AllowHosts, func(h string) bool { return strings.EqualFold(h, host) })
	if ip, ok := f.resolve[host]; ok {
		addr = net.JoinHostPort(ip, port)
	}
	d := net.Dialer{Control: func(network, address string, _ syscall.RawConn) error {
		if trusted {
			return nil
		}
		return checkAddress(address)
	}}
	return d.DialContext(ctx, network, addr)
}

// checkAddress refuses every address in the blocked table.
func checkAddress(address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("check address %s: %w", address, err)
	}
	if why := blockedWhy(ap.Addr()); why != "" {
		return fmt.Errorf("%w (%s is %s)", segmentbot.Errorf(segmentbot.EFORBIDDEN, "I can't download files from an internal network address"), ap.Addr(), why)
	}
	return nil
}
