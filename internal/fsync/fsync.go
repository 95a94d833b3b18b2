// Package fsync makes local writes durable: the data of a file, and the names created in a
// directory. The file_roll and hdfs (file://) sinks share it, so both mean the same thing by
// "on disk".
package fsync

import "os"

// Dir fsyncs a directory, making the names created, renamed or removed in it durable.
func Dir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
