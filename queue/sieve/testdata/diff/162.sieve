# 162: set :length counts characters, not octets
require ["fileinto", "variables"];
set :length "n" "Grüße";
fileinto "len-${n}";
