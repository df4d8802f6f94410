# 243: space-separated flags in one string
require ["fileinto", "imap4flags"];
setflag "A B  C";
fileinto "F";
