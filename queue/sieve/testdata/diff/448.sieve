# 448: flag with a backslash that is not a system flag
require "imap4flags";
addflag "\\Unknown";
keep;
