# 244: fileinto :flags overrides the internal variable
require ["fileinto", "imap4flags"];
setflag "\\Seen";
fileinto :flags "\\Answered" "Replied";
