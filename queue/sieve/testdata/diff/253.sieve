# 253: flags change between actions
require ["fileinto", "imap4flags"];
setflag "A";
fileinto "One";
setflag "B";
fileinto "Two";
