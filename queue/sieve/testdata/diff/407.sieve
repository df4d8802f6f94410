# 407: discard with implicit flags set
require "imap4flags";
addflag "\\Seen";
discard;
keep;
