package importer

import (
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, value, norm, kind, note string
	}{
		{"email is lower-cased", "John.Doe@Example.COM", "john.doe@example.com", segmentbot.KindEmail, ""},
		{"white space and invisible characters are trimmed", "\uFEFF\u00A0 a@b.co\u200B\t", "a@b.co", segmentbot.KindEmail, ""},
		{"plus addressing is kept", "ann+news@example.org", "ann+news@example.org", segmentbot.KindEmail, ""},
		{"international domain becomes ASCII", "jörg@bücher.de", "jörg@xn--bcher-kva.de", segmentbot.KindEmail, ""},
		{"upper-case international domain is folded", "a@BÜCHER.de", "a@xn--bcher-kva.de", segmentbot.KindEmail, ""},
		{"GUID is an AAD object id", "6A3C1E52-9F0B-4C4B-8E5D-2B1F0C9D7A11", "6a3c1e52-9f0b-4c4b-8e5d-2b1f0c9d7a11", segmentbot.KindAADID, ""},
		{"GUID in braces", "{6a3c1e52-9f0b-4c4b-8e5d-2b1f0c9d7a11}", "6a3c1e52-9f0b-4c4b-8e5d-2b1f0c9d7a11", segmentbot.KindAADID, ""},
		{"digits are a numeric id", "100012345678901", "100012345678901", segmentbot.KindNumeric, ""},
		{"five digits are the shortest id", "12345", "12345", segmentbot.KindNumeric, ""},
		{"four digits are an external id (an employee number)", "1234", "1234", segmentbot.KindExternal, ""},
		{"twenty-one digits are an external id", "123456789012345678901", "123456789012345678901", segmentbot.KindExternal, ""},
		{"an HR id is an external id, as written", " E-00417 ", "E-00417", segmentbot.KindExternal, ""},
		{"an external id longer than 64 characters is invalid", strings.Repeat("x", 65), "", segmentbot.KindInvalid, "too long for an id"},
		{"empty", "  ", "", segmentbot.KindInvalid, "empty value"},
		{"a value without @ is never a typo in an address", "john.doe.example.com", "john.doe.example.com", segmentbot.KindExternal, ""},
		{"space inside the address", "john doe@example.com", "", segmentbot.KindInvalid, "space in address"},
		{"nothing after the @", "john@", "", segmentbot.KindInvalid, "no domain"},
		{"nothing before the @", "@example.com", "", segmentbot.KindInvalid, "nothing before the @"},
		{"two @", "a@b@example.com", "", segmentbot.KindInvalid, "more than one @"},
		{"domain without dot", "john@localhost", "", segmentbot.KindInvalid, "the domain has no dot"},
		{"domain with bad characters", "john@exa_mple.com", "", segmentbot.KindInvalid, "the domain is not valid"},
		{"double dot in local part", "john..doe@example.com", "", segmentbot.KindInvalid, "misplaced dot"},
		{"comma in local part", "john,doe@example.com", "", segmentbot.KindInvalid, "character not allowed before the @"},
		{"mangled encoding", "j\uFFFDrg@example.com", "", segmentbot.KindInvalid, "unreadable characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			norm, kind, note := Normalize(tt.value)
			if norm != tt.norm || kind != tt.kind || note != tt.note {
				t.Errorf("Normalize(%q) = %q, %q, %q; want %q, %q, %q", tt.value, norm, kind, note, tt.norm, tt.kind, tt.note)
			}
		})
	}
}
