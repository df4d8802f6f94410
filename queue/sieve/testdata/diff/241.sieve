# 241: removeflag
require ["fileinto", "imap4flags"];
setflag "\\Seen \\Flagged Extra";
removeflag "extra";
