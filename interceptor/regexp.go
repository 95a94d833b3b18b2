package interceptor

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"

	"github.com/flumego/flumego/config/schema"
)

// compileRegex compiles a user's regular expression, or returns an error pointing at attr. Go's
// RE2 syntax is close to Java's but has no look-around and no back-references; the message says
// so, since Flume configurations sometimes use them.
func compileRegex(attr, expr string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		msg := err.Error()
		var se *syntax.Error
		if errors.As(err, &se) {
			msg = fmt.Sprintf("%s in `%s`", se.Code, se.Expr)
		}
		return nil, schema.Errorf(attr, "invalid regular expression %q: %s (RE2 syntax: no look-around, no back-references)", expr, msg)
	}
	return re, nil
}

// notEmpty returns an error pointing at attr when value is empty.
func notEmpty(attr, value string) error {
	if value == "" {
		return schema.Errorf(attr, "must not be empty")
	}
	return nil
}

// createErr wraps a construction error with the kind ("interceptor", "selector") and type.
func createErr(kind, typ string, err error) error {
	return fmt.Errorf("%s %q: %w", kind, typ, err)
}
