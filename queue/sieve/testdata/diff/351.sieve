# 351: setflag with three arguments
require "imap4flags";
setflag "a" "b" "c";
