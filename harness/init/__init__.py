"""`harness init`: probe an agent and write a starter scenario for it.

    session.started_agent(command) / running_agent(url)   the agent, as a run would see it
    health.find_health(session, candidates, timeout)      its health path
    api_probe.find_preset(session, tenant)                the request preset it answers
    starter.starter_scenario(findings, ...)               the scenario file, validated
"""
