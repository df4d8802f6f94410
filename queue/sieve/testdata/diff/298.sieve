# 298: vacation with variables in subject and reason
require ["vacation", "variables"];
if header :matches "subject" "*" { set "s" "${1}"; }
vacation :subject "Re: ${s}" "You wrote about ${s}.";
