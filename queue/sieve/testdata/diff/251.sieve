# 251: flags on a variable
require ["fileinto", "imap4flags", "variables"];
setflag "myflags" "\\Seen";
addflag "myflags" "Later";
if hasflag "myflags" "later" { fileinto :flags "${myflags}" "Var"; }
