# 259: flags with discard: nothing kept
require ["fileinto", "imap4flags"];
addflag "\\Seen";
discard;
