package compose

import (
	"mime"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxFilename bounds a filename in octets (most file systems' limit).
const maxFilename = 255

// CleanFilename makes an uploaded file's name safe to put in a header and
// to offer for download: the last path element only (browsers on Windows
// send backslashes), no control characters, at most 255 octets cut at a
// rune boundary, "attachment" when nothing is left.
func CleanFilename(name string) string {
	name = strings.ToValidUTF8(name, "_")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	for len(name) > maxFilename {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == ".." {
		return "attachment"
	}
	return name
}

// byExtension is the content type for common extensions. It is looked up
// before mime.TypeByExtension, whose answer depends on the host's
// mime.types files, so a message built here does not depend on the host.
var byExtension = map[string]string{
	".7z": "application/x-7z-compressed", ".avif": "image/avif", ".bmp": "image/bmp",
	".csv": "text/csv", ".doc": "application/msword",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".eml":  "message/rfc822", ".gif": "image/gif", ".gz": "application/gzip",
	".heic": "image/heic", ".htm": "text/html", ".html": "text/html", ".ics": "text/calendar",
	".jpeg": "image/jpeg", ".jpg": "image/jpeg", ".json": "application/json",
	".md": "text/markdown", ".mp3": "audio/mpeg", ".mp4": "video/mp4",
	".odp": "application/vnd.oasis.opendocument.presentation",
	".ods": "application/vnd.oasis.opendocument.spreadsheet",
	".odt": "application/vnd.oasis.opendocument.text", ".ogg": "audio/ogg",
	".pdf": "application/pdf", ".png": "image/png", ".ppt": "application/vnd.ms-powerpoint",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".svg":  "image/svg+xml", ".tar": "application/x-tar", ".tif": "image/tiff", ".tiff": "image/tiff",
	".txt": "text/plain", ".vcf": "text/vcard", ".wav": "audio/wav", ".webm": "video/webm",
	".webp": "image/webp", ".xls": "application/vnd.ms-excel",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".xml":  "application/xml", ".zip": "application/zip",
}

// ContentType is the media type for an attachment: the type the upload
// declared when it is a valid type/subtype other than
// application/octet-stream (parameters dropped), else the type for the
// filename's extension, else application/octet-stream (RFC 2046 §4.5.1).
func ContentType(declared, filename string) string {
	if t, _, err := mime.ParseMediaType(declared); err == nil && strings.Count(t, "/") == 1 &&
		t != "application/octet-stream" && !strings.HasPrefix(t, "multipart/") {
		return t
	}
	ext := strings.ToLower(path.Ext(filename))
	if t, ok := byExtension[ext]; ok {
		return t
	}
	if t, _, err := mime.ParseMediaType(mime.TypeByExtension(ext)); err == nil && t != "" {
		return t
	}
	return "application/octet-stream"
}

// param formats one MIME parameter (RFC 2045 §5.1): a token or quoted
// string when the value is short ASCII, else RFC 2231 §4 extended
// notation in UTF-8, split into continuations (§3) of at most 60 octets
// so that the field can be folded between them. The result begins with
// "; " (a folding point).
func param(name, value string) string {
	if isASCII(value) && len(value) <= 60 && !strings.ContainsAny(value, "\r\n") {
		if isToken(value) {
			return "; " + name + "=" + value
		}
		return "; " + name + `="` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(value) + `"`
	}
	enc := pctEncode(value)
	if len(enc) <= 60 {
		return "; " + name + "*=utf-8''" + enc
	}
	var b strings.Builder
	for i := 0; len(enc) > 0; i++ {
		n := min(60, len(enc))
		// Never split a %XX triplet.
		if j := strings.LastIndexByte(enc[:n], '%'); j >= 0 && j > n-3 {
			n = j
		}
		b.WriteString("; " + name + "*" + itoa(i) + "*=")
		if i == 0 {
			b.WriteString("utf-8''")
		}
		b.WriteString(enc[:n])
		enc = enc[n:]
	}
	return b.String()
}

// pctEncode is RFC 2231 §7's value-chars: attribute-char as is, anything
// else %XX.
func pctEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > 0x20 && c < 0x7f && !strings.ContainsRune(`*'%()<>@,;:\"/[]?=`, rune(c)) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// isToken reports whether s is an RFC 2045 §5.1 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 {
			return false
		}
	}
	return true
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
