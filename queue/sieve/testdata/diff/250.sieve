# 250: hasflag :contains
require ["fileinto", "imap4flags"];
setflag "Important Work";
if hasflag :contains "port" { fileinto "Port"; }
