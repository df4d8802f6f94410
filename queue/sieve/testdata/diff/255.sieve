# 255: setflag with an empty string clears
require ["fileinto", "imap4flags"];
addflag "A";
setflag "";
keep;
