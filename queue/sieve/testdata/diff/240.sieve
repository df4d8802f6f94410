# 240: addflag several and keep
require ["fileinto", "imap4flags"];
addflag ["\\Flagged", "$Work"];
addflag "\\Seen";
keep;
