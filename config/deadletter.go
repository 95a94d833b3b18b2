package config

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/sink"
)

// deadLetterRef is a sink's dead_letter_channel attribute, for the checks that need the whole
// agent.
type deadLetterRef struct {
	sink *Sink
	rng  hcl.Range
}

// decodeSetAside decodes a sink's dead_letter_channel and on_permanent_error: on_permanent_error
// defaults to "dead_letter" when a dead-letter channel is named and to "drop" otherwise;
// "dead_letter" needs a dead-letter channel.
func decodeSetAside(s *Sink, attrs hcl.Attributes, ectx *hcl.EvalContext, what string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	dl, hasDL := attrs["dead_letter_channel"]
	if hasDL {
		diags = append(diags, decodeString(dl, ectx, &s.DeadLetterChannel, what)...)
		if !diags.HasErrors() && s.DeadLetterChannel == "" {
			diags = append(diags, errAt(dl.Expr.Range(), what+": dead_letter_channel: must name a channel; leave it out for none"))
		}
	}
	s.OnPermanentError = sink.Drop
	if s.DeadLetterChannel != "" {
		s.OnPermanentError = sink.DeadLetter
	}
	attr, ok := attrs["on_permanent_error"]
	if !ok {
		return diags
	}
	var policy string
	if d := decodeString(attr, ectx, &policy, what); d.HasErrors() {
		return append(diags, d...)
	}
	switch p := sink.OnPermanentError(policy); p {
	case sink.Drop:
		s.OnPermanentError = p
		if hasDL {
			r := attr.Expr.Range()
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Subject: &r,
				Summary: fmt.Sprintf("%s: on_permanent_error = %q: dead_letter_channel %q receives nothing", what, p, s.DeadLetterChannel)})
		}
	case sink.DeadLetter:
		s.OnPermanentError = p
		if !hasDL {
			diags = append(diags, errAt(attr.Expr.Range(), fmt.Sprintf("%s: on_permanent_error = %q needs a dead_letter_channel", what, p)))
		}
	default:
		diags = append(diags, errAt(attr.Expr.Range(), fmt.Sprintf("%s: on_permanent_error: must be %q or %q, got %q", what, sink.DeadLetter, sink.Drop, policy)))
	}
	return diags
}

// checkDeadLetters checks every dead_letter_channel against the agent: it must not be the
// channel the sink drains, must take a whole batch of the sink in one transaction (a batch's
// refused events are put in one), and dead-letter channels must not lead back to where an event
// came from (a loop would bounce a refused event for ever). Undeclared channels are reported
// with every other channel reference.
func checkDeadLetters(a *Agent, declared map[string]hcl.Range, refs []deadLetterRef) hcl.Diagnostics {
	var diags hcl.Diagnostics
	txCap := map[string]int{}
	for _, c := range a.Channels {
		if tc, ok := c.Config.(channel.TxCapacity); ok {
			txCap[c.Name] = tc.TransactionCapacity()
		}
	}
	next := map[string][]*Sink{} // channel → the sinks draining it that dead-letter elsewhere
	for _, r := range refs {
		s := r.sink
		what := fmt.Sprintf("sink %q %q", s.Type, s.Name)
		if _, ok := declared[s.DeadLetterChannel]; !ok {
			continue
		}
		switch {
		case s.DeadLetterChannel == s.Channel:
			diags = append(diags, errAt(r.rng, fmt.Sprintf("%s: dead_letter_channel %q is the channel the sink drains: a refused event would come straight back; name another channel", what, s.Channel)))
			continue
		case txCap[s.DeadLetterChannel] > 0 && txCap[s.DeadLetterChannel] < s.BatchSize:
			diags = append(diags, errAt(r.rng, fmt.Sprintf("%s: batch_size %d is above dead_letter_channel %q's transaction_capacity %d: a batch's refused events are put in one transaction", what, s.BatchSize, s.DeadLetterChannel, txCap[s.DeadLetterChannel])))
		}
		next[s.Channel] = append(next[s.Channel], s)
	}
	// A loop: following dead_letter_channel from a sink's dead-letter channel leads back to the
	// channel the sink drains.
	for _, r := range refs {
		from, to := r.sink.Channel, r.sink.DeadLetterChannel
		if from == to {
			continue
		}
		if path := deadLetterPath(next, to, from, map[string]bool{to: true}); path != nil {
			loop := append([]string{from}, path...)
			diags = append(diags, errAt(r.rng, fmt.Sprintf("sink %q %q: dead-letter channels form a loop (%s): an event every sink refuses would go round for ever", r.sink.Type, r.sink.Name, strings.Join(loop, " → "))))
		}
	}
	return diags
}

// deadLetterPath returns the channels from ch to target following dead_letter_channel (ch
// first, target last), or nil when target cannot be reached.
func deadLetterPath(next map[string][]*Sink, ch, target string, seen map[string]bool) []string {
	if ch == target {
		return []string{ch}
	}
	for _, s := range next[ch] {
		d := s.DeadLetterChannel
		if seen[d] {
			continue
		}
		seen[d] = true
		if rest := deadLetterPath(next, d, target, seen); rest != nil {
			return append([]string{ch}, rest...)
		}
	}
	return nil
}
