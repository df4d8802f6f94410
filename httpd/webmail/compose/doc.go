// Package compose builds the messages the webmail sends and saves: an
// RFC 5322 message from a compose form (Build), the form prefilled for a
// reply, a reply to all or a forward of a stored message (Reply, Forward,
// from ParseOriginal), and a saved draft read back into a form
// (ParseDraft).
//
// It is pure: no I/O, no HTTP, no store. The caller checks who may send
// as the From address and submits the result.
//
// What a built message looks like:
//
//   - Date, From, To, Cc, Subject, Message-ID, In-Reply-To, References,
//     MIME-Version (RFC 5322 §3.6, RFC 2045 §4). Bcc recipients are only in
//     the envelope (RFC 5322 §3.6.3 allows the field to be left out);
//     Built.WithBcc adds the field for the sender's own copies.
//   - Non-ASCII in Subject and display names: RFC 2047 encoded words.
//   - The text: text/plain; charset=utf-8, 7bit when it is ASCII with short
//     lines, quoted-printable otherwise (RFC 2045 §6.7), optionally
//     format=flowed (RFC 3676).
//   - With attachments (or a forwarded message): multipart/mixed, the text
//     first, each attachment base64 (RFC 2045 §6.8) with its filename in
//     Content-Disposition, RFC 2231 encoded when it is not ASCII; a
//     forwarded message as message/rfc822 (RFC 2046 §5.2.1).
package compose
