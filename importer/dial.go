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

// sharedAddressSpace is 100.64.0.0/10 (carrier-grade NAT), internal too.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

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

// checkAddress refuses loopback, link-local (cloud metadata at
// 169.254.169.254), private, shared, unspecified and multicast addresses.
func checkAddress(address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("check address %s: %w", address, err)
	}
	ip := ap.Addr().Unmap()
	if ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsPrivate() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() || sharedAddressSpace.Contains(ip) {
		return segmentbot.Errorf(segmentbot.EFORBIDDEN, "I can't download files from an internal network address")
	}
	return nil
}
