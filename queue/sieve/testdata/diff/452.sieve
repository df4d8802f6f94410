# 452: vacation :addresses with a variable
require ["vacation", "variables"];
set "alt" "me@example.org";
vacation :addresses ["${alt}"] "Back.";
