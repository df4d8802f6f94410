# 254: removeflag of an absent flag
require ["fileinto", "imap4flags"];
removeflag "\\Seen";
addflag "K";
