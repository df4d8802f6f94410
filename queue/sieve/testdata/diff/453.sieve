# 453: vacation :handle with a variable
require ["vacation", "variables"];
set "h" "dyn";
vacation :handle "${h}-handle" "Back.";
