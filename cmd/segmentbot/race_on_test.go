//go:build race

package main

// The race detector slows the service several times over: the demo's
// 2,402 sends then take longer than its time budget allows, which measures
// the service without it.
func init() { raceDetector = true }
