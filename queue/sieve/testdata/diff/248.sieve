# 248: hasflag on the internal variable
require ["fileinto", "imap4flags"];
addflag "Junk";
if hasflag "junk" { fileinto "Junk"; }
