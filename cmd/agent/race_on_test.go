//go:build race

package main

// raceEnabled builds the end-to-end agent with the race detector when the tests run with it.
const raceEnabled = true
