# 451: removeflag with a list and a variable
require ["imap4flags", "variables"];
setflag "fl" "A B C";
removeflag "fl" ["b", "c"];
keep :flags "${fl}";
