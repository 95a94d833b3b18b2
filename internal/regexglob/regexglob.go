// Package regexglob turns the regular expressions other agents match file names with (Flume's
// TAILDIR file groups, Filebeat's exclude_files) into the globs flumego's taildir source takes.
package regexglob

import "strings"

// FromRegex turns a regular expression that must match a whole file name (a Flume TAILDIR
// file group's, a Filebeat exclude_files pattern anchored by the caller) into a glob. exact is false when the expression
// uses what a glob cannot say (alternation, groups, repetition of anything but "any
// character", \s ...); the glob returned then matches at least what the expression did, with
// `*` in place of those parts. A lone "." is any character, as in the expression: the glob's
// "?" (anyChar reports one), so `.*.log` becomes `*?log`, which matches access_log as Flume did.
func FromRegex(re string) (glob string, exact, anyChar bool) {
	s := strings.TrimSuffix(strings.TrimPrefix(re, "^"), "$")
	if topLevelAlternation(s) {
		return "*", false, false
	}
	exact = true
	var atoms []string // one glob piece per regex atom, so a quantifier can replace its atom
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '.':
			switch {
			case i+1 < len(s) && s[i+1] == '*':
				atoms = append(atoms, "*")
				i++
			case i+1 < len(s) && s[i+1] == '+':
				atoms = append(atoms, "?*")
				i++
			default:
				atoms = append(atoms, "?")
				anyChar = true
			}
		case '\\':
			if i+1 >= len(s) {
				exact = false
				continue
			}
			i++
			switch n := s[i]; {
			case n == 'd':
				atoms = append(atoms, "[0-9]")
			case n == 'w':
				atoms = append(atoms, "[A-Za-z0-9_]")
			case n == '*' || n == '?' || n == '[' || n == ']' || n == '\\':
				atoms = append(atoms, `\`+string(n))
			case isWordByte(n): // \s, \b, \p{...}: no glob equivalent
				exact = false
				atoms = append(atoms, "*")
			default:
				atoms = append(atoms, string(n))
			}
		case '[':
			end := -1
			if i+2 < len(s) {
				end = strings.IndexByte(s[i+2:], ']') // a ']' right after '[' belongs to the class
			}
			if end < 0 {
				return "*", false, false
			}
			class := s[i : i+end+3]
			if strings.ContainsAny(class[1:len(class)-1], `\[&`) {
				exact = false
				atoms = append(atoms, "*")
			} else {
				atoms = append(atoms, class)
			}
			i += end + 2
		case '(':
			depth, j := 0, i
			for ; j < len(s); j++ {
				if s[j] == '\\' {
					j++
					continue
				}
				if s[j] == '(' {
					depth++
				} else if s[j] == ')' {
					if depth--; depth == 0 {
						break
					}
				}
			}
			exact = false
			atoms = append(atoms, "*")
			i = j
		case '+':
			// One or more of the atom before: keep one, then anything.
			exact = false
			atoms = append(atoms, "*")
		case '*', '?', '{':
			// Zero or more of the atom before: it may be absent, so it becomes anything.
			exact = false
			if len(atoms) > 0 {
				atoms[len(atoms)-1] = "*"
			} else {
				atoms = append(atoms, "*")
			}
			if c == '{' {
				if end := strings.IndexByte(s[i:], '}'); end > 0 {
					i += end
				}
			}
			if i+1 < len(s) && (s[i+1] == '?' || s[i+1] == '+') { // lazy or possessive
				i++
			}
		case ')', '^', '$':
			exact = false
			atoms = append(atoms, "*")
		default:
			atoms = append(atoms, string(c))
		}
	}
	glob = strings.Join(atoms, "")
	for strings.Contains(glob, "**") {
		glob = strings.ReplaceAll(glob, "**", "*")
	}
	return glob, exact, anyChar && exact
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// topLevelAlternation reports a '|' outside any group or class.
func topLevelAlternation(s string) bool {
	depth, class := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			i++
		case class:
			if c == ']' {
				class = false
			}
		case c == '[':
			class = true
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '|' && depth == 0:
			return true
		}
	}
	return false
}
