package importer

import (
	"net/netip"
	"testing"

	"github.com/segmentbot/segmentbot"
)

// Issue 15.8: every range of the table is refused, row by row, and the
// public neighbours of each stay allowed.
func TestCheckAddressRefusesEveryInternalRange(t *testing.T) {
	tests := []struct {
		addr    string
		blocked bool
	}{
		{"0.0.0.0", true}, {"0.1.2.3", true},
		{"10.1.2.3", true},
		{"100.64.0.1", true}, {"100.127.255.254", true}, {"100.128.0.1", false},
		{"127.0.0.1", true}, {"127.255.255.254", true},
		{"169.254.169.254", true},
		{"172.16.0.1", true}, {"172.31.255.255", true}, {"172.32.0.1", false},
		{"192.0.0.8", true}, {"192.0.1.1", false},
		{"192.168.1.1", true},
		{"198.18.0.1", true}, {"198.19.255.254", true}, {"198.20.0.1", false},
		{"224.0.0.1", true}, {"239.255.255.250", true},
		{"240.0.0.1", true}, {"255.255.255.255", true},
		{"::", true}, {"::1", true},
		{"::127.0.0.1", true}, {"::a9fe:a9fe", true}, // IPv4-compatible
		{"::ffff:127.0.0.1", true}, {"::ffff:10.0.0.1", true}, // IPv4-mapped
		{"64:ff9b::7f00:1", true}, {"64:ff9b::a9fe:a9fe", true}, {"64:ff9b:1::1", true},
		{"2002:7f00:1::1", true}, {"2002:c0a8:101::1", true},
		{"fc00::1", true}, {"fd12:3456::1", true},
		{"fe80::1", true},
		{"fec0::1", true}, {"feff::1", true},
		{"ff02::1", true},
		// Public addresses.
		{"8.8.8.8", false}, {"20.190.160.1", false}, {"1.1.1.1", false},
		{"2606:4700:4700::1111", false}, {"2001:db8::1", false}, {"2003::1", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			ap := netip.AddrPortFrom(netip.MustParseAddr(tt.addr), 443)
			err := checkAddress(ap.String())
			if tt.blocked && segmentbot.ErrorCode(err) != segmentbot.EFORBIDDEN {
				t.Fatalf("%s: %v, want refused", tt.addr, err)
			}
			if !tt.blocked && err != nil {
				t.Fatalf("%s: %v, want allowed", tt.addr, err)
			}
		})
	}
}

// Each row of the table is covered by at least one address above, so a
// row dropped from the table fails a case.
func TestEveryBlockedRowHasAReason(t *testing.T) {
	for _, b := range blocked {
		if b.why == "" || !b.prefix.IsValid() {
			t.Fatalf("row %v has no reason", b.prefix)
		}
		if blockedWhy(b.prefix.Addr()) == "" {
			t.Fatalf("the first address of %v is allowed", b.prefix)
		}
	}
}
