# 247: keep :flags empty list
require ["fileinto", "imap4flags"];
setflag "\\Seen";
keep :flags "";
