package tokenizer

import (
	"strings"
	"sync"
)

// ftfy's own HTML unescaping (fixes.unescape_html), stricter than Python's
// html.unescape: only references that end in a semicolon count, and
// all-caps spellings of common names are understood too.

var (
	ftfyEntitiesOnce sync.Once
	// ftfyEntities maps "&name;" to its text: every HTML5 name that ends in
	// a semicolon, plus upper-case spellings of the lower-case names (such
	// as "&EACUTE;" for "É") unless the upper-case spelling already means
	// something to html.unescape.
	ftfyEntities map[string]string
)

// initFTFYEntities builds ftfyEntities (chardata.HTML_ENTITIES); it runs
// once, on the first text with an '&'.
func initFTFYEntities() {
	ftfyEntities = make(map[string]string, 4096)
	for _, e := range html5Entities {
		if strings.HasSuffix(e.name, ";") {
			ftfyEntities["&"+e.name] = e.text
		}
	}
	for _, e := range html5Entities {
		if !strings.HasSuffix(e.name, ";") || e.name != strings.ToLower(e.name) {
			continue
		}
		upper := "&" + strings.ToUpper(e.name)
		if htmlUnescape(upper) == upper {
			ftfyEntities[upper] = pyUpper(e.text)
		}
	}
}

// ftfyUnescapeHTML is ftfy's unescape_html: only entities matching
// &#?[0-9A-Za-z]{1,24}; (semicolon required) are decoded: names from
// ftfyEntities, and numeric references as html.unescape reads them.
func ftfyUnescapeHTML(s string) string {
	amp := strings.IndexByte(s, '&')
	if amp < 0 {
		return s
	}
	ftfyEntitiesOnce.Do(initFTFYEntities)
	var b strings.Builder
	b.Grow(len(s))
	for amp >= 0 {
		b.WriteString(s[:amp])
		s = s[amp:]
		n := ftfyEntityLen(s)
		if n == 0 {
			b.WriteByte('&')
			s = s[1:]
		} else {
			b.WriteString(ftfyEntity(s[:n]))
			s = s[n:]
		}
		amp = strings.IndexByte(s, '&')
	}
	b.WriteString(s)
	return b.String()
}

// ftfyEntityLen is the length of the &#?[0-9A-Za-z]{1,24}; match at the start
// of s (s[0] == '&'), or 0.
func ftfyEntityLen(s string) int {
	i := 1
	if i < len(s) && s[i] == '#' {
		i++
	}
	start := i
	for i < len(s) && isASCIIAlnum(s[i]) {
		i++
	}
	if n := i - start; n < 1 || n > 24 || i >= len(s) || s[i] != ';' {
		return 0
	}
	return i + 1
}

func isASCIIAlnum(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// ftfyEntity decodes one matched entity, or returns it unchanged.
func ftfyEntity(ent string) string {
	if text, ok := ftfyEntities[ent]; ok {
		return text
	}
	if strings.HasPrefix(ent, "&#") {
		// A numeric reference counts only if html.unescape consumed the
		// semicolon too ("&#12ab;" would leave "ab;" behind).
		if text := htmlUnescape(ent); !strings.Contains(text, ";") {
			return text
		}
	}
	return ent
}
