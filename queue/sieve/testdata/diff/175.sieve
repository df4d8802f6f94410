# 175: variable in a header name
require ["fileinto", "variables"];
set "h" "subject";
if header :contains "${h}" "Meeting" { fileinto "Dyn"; }
