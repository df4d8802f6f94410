# 160: set :upperfirst :lower (precedence 40 before 30)
require ["fileinto", "variables"];
set :upperfirst :lower "v" "hELLO";
fileinto "${v}";
