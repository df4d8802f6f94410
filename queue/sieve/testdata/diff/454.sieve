# 454: vacation :from with a variable
require ["vacation", "variables"];
set "me" "me@example.com";
vacation :from "${me}" "Back.";
