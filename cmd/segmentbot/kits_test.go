package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The service binary links no test kit (teamstest, workplacetest,
// storetest, ...) and not the testing package: the demo's fake Teams is
// bot/teams/faketeams, a package of its own.
func TestTheServiceBinaryLinksNoTestKit(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		own := strings.HasPrefix(pkg, "github.com/segmentbot/segmentbot/")
		if pkg == "testing" || own && strings.HasSuffix(pkg, "test") {
			t.Errorf("the service binary links %s", pkg)
		}
	}
}
