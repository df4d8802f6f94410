# 376: hasflag over a list of variables
require ["fileinto", "imap4flags", "variables"];
setflag "a" "X"; setflag "b" "Y";
if hasflag ["a", "b"] "y" { fileinto "HasY"; }
