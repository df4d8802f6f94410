# 252: variable flags do not touch the internal variable
require ["fileinto", "imap4flags", "variables"];
addflag "other" "X";
keep;
