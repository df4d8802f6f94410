# 260: imap4flags without require is invalid
setflag "\\Seen";
