# 508: redirect to an address that is invalid after variable expansion
require "variables";
set "u" "bob@example.net";
redirect "${u}@example.org";
