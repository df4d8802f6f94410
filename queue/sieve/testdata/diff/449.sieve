# 449: hasflag with a list of keys
require ["fileinto", "imap4flags"];
addflag "B";
if hasflag ["a", "b"] { fileinto "Any"; }
