# 444: set :lower on non-ASCII letters
require ["fileinto", "variables"];
set :lower "v" "ÄRGER";
fileinto "${v}";
