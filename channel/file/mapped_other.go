//go:build !linux

package file

import bolt "go.etcd.io/bbolt"

type mappedRange struct{}

func touchedIn(*bolt.Tx) mappedRange { return mappedRange{} }

func (r *mappedRange) add([]byte) {}
func (r *mappedRange) drop()      {}

func dropAll(*bolt.Tx) {}
