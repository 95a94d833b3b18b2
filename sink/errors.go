package sink

import "fmt"

func errTypedConfig(typ string, cfg any) error {
	return fmt.Errorf("sink processor %s: unexpected config type %T", typ, cfg)
}
