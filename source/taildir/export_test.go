package taildir

import "github.com/flumego/flumego/source"

// PollOnly makes a taildir source find changes by polling alone, as it does where file change
// notifications are unavailable (inotify's limits reached, network file systems).
func PollOnly(src source.Source) { src.(*Source).noWatch = true }
