-- "<type>:<value>" for a handler argument; integers and floats told apart.
return function(value)
    local kind = type(value)
    if kind == "number" then kind = math.type(value) end
    if kind == "string" then return "string:" .. value end
    return kind .. ":" .. tostring(value)
end
