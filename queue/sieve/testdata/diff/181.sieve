# 181: variables in redirect address
require ["fileinto", "variables"];
set "user" "bob";
redirect "${user}@example.org";
