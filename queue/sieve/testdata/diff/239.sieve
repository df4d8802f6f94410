# 239: setflag then implicit keep carries the flags
require ["fileinto", "imap4flags"];
setflag "\\Seen";
